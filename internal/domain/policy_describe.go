package domain

import (
	"sort"
	"strings"
)

// PolicySummary says what a loaded policy selects, for `tracee list` and logs.
type PolicySummary struct {
	Name        string
	Description string
	Pos         string
	Scope       []string // "global" when the policy has no scope filter
	Rules       []RuleSummary
	Emits       []string // events written to the outputs
	Signatures  []string // signature events whose signatures run for this policy
	Needs       []string // base events the source produces for this policy
}

// RuleSummary is one rule as written, with what its event name resolved to.
type RuleSummary struct {
	Event    string
	Filters  []string
	Resolved []string // the events a set or glob expanded to; the event itself otherwise
}

// Describe summarises every policy in order.
func (s *PolicySet) Describe() []PolicySummary {
	if s == nil {
		return nil
	}
	out := make([]PolicySummary, len(s.policies))
	for i, p := range s.policies {
		out[i] = p.summary
	}
	return out
}

func summarize(cat *Catalog, p Policy, uses map[string]*eventUse) PolicySummary {
	sum := PolicySummary{Name: p.Name, Description: p.Description, Pos: p.Pos}
	for _, f := range p.Scope {
		sum.Scope = append(sum.Scope, f.String())
	}
	if len(sum.Scope) == 0 {
		sum.Scope = []string{"global"}
	}
	for _, r := range p.Rules {
		rs := RuleSummary{Event: r.Event}
		for _, f := range r.Filters {
			rs.Filters = append(rs.Filters, f.String())
		}
		if sel, err := Select(cat, []string{r.Event}); err == nil {
			for name := range sel.Emit {
				rs.Resolved = append(rs.Resolved, name)
			}
			sort.Strings(rs.Resolved)
		}
		sum.Rules = append(sum.Rules, rs)
	}
	for name, u := range uses {
		d, _ := cat.Lookup(name)
		if u.emit {
			sum.Emits = append(sum.Emits, name)
		}
		if d != nil && d.Kind == KindSignature {
			sum.Signatures = append(sum.Signatures, name)
		} else {
			sum.Needs = append(sum.Needs, name)
		}
	}
	sort.Strings(sum.Emits)
	sort.Strings(sum.Signatures)
	sort.Strings(sum.Needs)
	return sum
}

// String renders a summary on one line: name [scope] -> events.
func (p PolicySummary) String() string {
	return p.Name + " [" + strings.Join(p.Scope, " ") + "] -> " + strings.Join(p.Emits, ", ")
}
