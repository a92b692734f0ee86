package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// PolicySet evaluates loaded policies against events. Build it with NewPolicySet; Match is called
// from the one goroutine that runs the pipeline (it keeps process-tree state for tree and follow).
type PolicySet struct {
	policies []compiledPolicy
	// byEvent lists, for each event name, the policies that emit it (rule) or need it for one of
	// their signatures (dependency).
	byEvent map[string][]eventUse
	// names caches the MatchedPolicies slice of each bitmap; events share it read-only.
	names map[uint64][]string
	// process tree learned from events, for tree= and follow.
	parents    map[int]int
	needsTree  bool
	sel        Selection
	ParentOfFn func(pid int) (ppid int, ok bool) // optional fallback for pids not seen yet (e.g. /proc)
	// startedAt (epoch ns) is when the set was built: pid=new matches tasks started after it.
	startedAt int64
}

type compiledPolicy struct {
	Policy
	summary  PolicySummary
	bit      uint64
	scope    []Filter
	follow   bool
	followed map[int]bool // pids that matched the scope, and their descendants
}

type eventUse struct {
	policy int
	groups [][]Filter // one filter list per rule naming the event: any group matching emits
	emit   bool       // false: the event is only needed by a signature the policy names
}

// checkDataFilters refuses a data.<arg> filter that no event of the rule has: it could never match.
// Signature events are not checked: their data are whatever the signature's findings carry.
func checkDataFilters(cat *Catalog, r PolicyRule, sel Selection) error {
	for _, f := range r.Filters {
		if f.kind != fieldData {
			continue
		}
		var names []string
		found, checked := false, false
		for name := range sel.Emit {
			d, ok := cat.Lookup(name)
			if !ok || d.Kind == KindSignature {
				found = true
				break
			}
			checked = true
			for _, p := range d.Params {
				names = append(names, p.Name)
				if p.Name == f.arg {
					found = true
				}
			}
		}
		if checked && !found {
			fix := "see the event's arguments with 'tracee list'"
			if s := Suggest(f.arg, names); len(s) > 0 {
				fix = "did you mean data." + strings.Join(s, ", data.") + "? " + fix
			}
			return &PolicyError{Pos: f.Pos, Msg: fmt.Sprintf("event %q has no argument %q", r.Event, f.arg), Fix: fix}
		}
	}
	return nil
}

// NewPolicySet resolves every rule's event against the catalog (names, sets and globs, as -e does)
// and checks the policies. An unknown event gives a PolicyError with suggestions.
func NewPolicySet(cat *Catalog, policies []Policy) (*PolicySet, error) {
	if err := ValidatePolicies(policies); err != nil {
		return nil, err
	}
	s := &PolicySet{byEvent: map[string][]eventUse{}, names: map[uint64][]string{}, parents: map[int]int{},
		startedAt: time.Now().UnixNano()}
	s.sel = Selection{Emit: map[string]bool{}, Need: map[string]bool{}, Signatures: map[string]bool{}}
	for i, p := range policies {
		cp := compiledPolicy{Policy: p, bit: 1 << uint(i), followed: map[int]bool{}}
		for _, f := range p.Scope {
			switch f.kind {
			case fieldGlobal:
			case fieldFollow:
				cp.follow = true
				s.needsTree = true
			default:
				if f.kind == fieldTree {
					s.needsTree = true
				}
				cp.scope = append(cp.scope, f)
			}
		}
		uses := map[string]*eventUse{}
		var order []string
		for _, r := range p.Rules {
			psel, err := Select(cat, []string{r.Event})
			if err != nil {
				var unknown *UnknownEventError
				if ue, ok := err.(*UnknownEventError); ok {
					unknown = ue
				}
				fix := "run 'tracee list' to see every event"
				if unknown != nil && len(unknown.Suggestions) > 0 {
					fix = "did you mean " + strings.Join(unknown.Suggestions, ", ") + "? " + fix
				}
				return nil, &PolicyError{Pos: r.Pos, Msg: fmt.Sprintf("policy %q: unknown event %q", p.Name, r.Event), Fix: fix}
			}
			if err := checkDataFilters(cat, r, psel); err != nil {
				return nil, err
			}
			for _, f := range r.Filters {
				if f.kind == fieldTree {
					s.needsTree = true
				}
				if f.kind == fieldFollow {
					return nil, &PolicyError{Pos: f.Pos, Msg: "follow is a scope, not a rule filter", Fix: "move it to spec.scope"}
				}
			}
			for name := range psel.Emit {
				u, ok := uses[name]
				if !ok {
					u = &eventUse{policy: i}
					uses[name] = u
					order = append(order, name)
				}
				u.emit = true
				u.groups = append(u.groups, r.Filters)
				s.sel.Emit[name] = true
			}
			for name := range psel.Need {
				if _, ok := uses[name]; !ok {
					uses[name] = &eventUse{policy: i}
					order = append(order, name)
				}
				s.sel.Need[name] = true
			}
			for name := range psel.Signatures {
				s.sel.Signatures[name] = true
				if _, ok := uses[name]; !ok { // signature named only through another signature's chain
					uses[name] = &eventUse{policy: i}
					order = append(order, name)
				}
			}
		}
		for _, name := range order {
			s.byEvent[name] = append(s.byEvent[name], *uses[name])
		}
		cp.summary = summarize(cat, p, uses)
		s.policies = append(s.policies, cp)
	}
	if s.needsTree {
		// tree and follow learn the process tree from forks (and forget it at exits), as Tracee
		// enables these events internally; they are not emitted unless a rule names them.
		for _, name := range []string{"sched_process_fork", "sched_process_exit"} {
			if _, ok := cat.Lookup(name); ok {
				s.sel.Need[name] = true
			}
		}
	}
	return s, nil
}

// Len is the number of policies.
func (s *PolicySet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.policies)
}

// Policies returns the loaded policies in order (bit i is policy i).
func (s *PolicySet) Policies() []Policy {
	if s == nil {
		return nil
	}
	out := make([]Policy, len(s.policies))
	for i, p := range s.policies {
		out[i] = p.Policy
	}
	return out
}

// Selection is what the policies select: Emit are the events some rule names, Need the base
// events the source must produce (including those signatures need), Signatures those that run.
func (s *PolicySet) Selection() Selection {
	if s == nil {
		return Selection{Emit: map[string]bool{}, Need: map[string]bool{}, Signatures: map[string]bool{}}
	}
	return s.sel
}

// NeedsProcessTree reports whether a tree or follow filter is used (then every event is offered
// to Match, even ones no rule names, so that the tree stays complete).
func (s *PolicySet) NeedsProcessTree() bool { return s != nil && s.needsTree }

// Match decides what happens to one event: emit says it goes to the outputs (some policy's rule
// names it and its scope and filters match), dispatch says signatures may see it (some policy
// that matches the scope needs it, for output or for a signature). Match sets ev.MatchedPolicies
// and ev.MatchedPoliciesUser when it emits. With no policies it returns true, true and leaves ev
// alone, so the caller's -e selection applies. The MatchedPolicies slice is shared between
// events with the same policies: read it, never modify it.
func (s *PolicySet) Match(ev *trace.Event) (emit, dispatch bool) {
	if s == nil || len(s.policies) == 0 {
		return true, true
	}
	if s.needsTree {
		s.learn(ev)
	}
	uses := s.byEvent[ev.EventName]
	if len(uses) == 0 {
		return false, false
	}
	var matched uint64
	for i := range uses {
		u := &uses[i]
		p := &s.policies[u.policy]
		if !s.scopeMatches(p, ev) {
			continue
		}
		if !u.emit {
			dispatch = true
			continue
		}
		for _, g := range u.groups {
			if s.allMatch(g, ev) {
				matched |= p.bit
				break
			}
		}
		// A dependency of the same policy's signature is dispatched whatever the rule filters say.
		dispatch = true
	}
	if matched == 0 {
		return false, dispatch
	}
	ev.MatchedPoliciesUser = matched
	ev.MatchedPolicies = s.namesOf(matched)
	return true, true
}

func (s *PolicySet) namesOf(bits uint64) []string {
	if n, ok := s.names[bits]; ok {
		return n
	}
	var names []string
	for _, p := range s.policies {
		if bits&p.bit != 0 {
			names = append(names, p.Name)
		}
	}
	if len(s.names) < 4096 {
		s.names[bits] = names
	}
	return names
}

// learn records the event's parent and, for follow policies, adopts children of followed processes.
func (s *PolicySet) learn(ev *trace.Event) {
	pid, ppid := ev.HostProcessID, ev.HostParentProcessID
	if pid > 0 && ppid > 0 && pid != ppid {
		s.parents[pid] = ppid
	}
	if ev.EventName == "sched_process_fork" {
		if child := int(argInt(ev, "child_pid")); child > 0 && pid > 0 {
			s.parents[child] = pid
			for i := range s.policies {
				if p := &s.policies[i]; p.follow && p.followed[pid] {
					p.followed[child] = true
				}
			}
		}
	}
	for i := range s.policies {
		p := &s.policies[i]
		if p.follow && !p.followed[pid] && p.followed[ppid] {
			p.followed[pid] = true
		}
	}
	if ev.EventName == "sched_process_exit" {
		defer func() {
			delete(s.parents, pid)
			for i := range s.policies {
				delete(s.policies[i].followed, pid)
			}
		}()
	}
}

func argInt(ev *trace.Event, name string) int64 {
	a := Arg(ev, name)
	if a == nil {
		return 0
	}
	n, _ := numberOf(a.Value)
	return n
}

func (s *PolicySet) scopeMatches(p *compiledPolicy, ev *trace.Event) bool {
	if p.follow && p.followed[ev.HostProcessID] {
		return true
	}
	if !s.allMatch(p.scope, ev) {
		return false
	}
	if p.follow && ev.HostProcessID > 0 {
		p.followed[ev.HostProcessID] = true
	}
	return true
}

func (s *PolicySet) allMatch(filters []Filter, ev *trace.Event) bool {
	for i := range filters {
		if !s.filterMatches(&filters[i], ev) {
			return false
		}
	}
	return true
}
