package domain

import (
	"fmt"
	"sort"
	"strings"
)

// CLIPolicyName names the policy that -e/--events and --scope compile into.
const CLIPolicyName = "cli"

// EventFlags compiles the values of -e/--events and --scope, as Tracee's events and scope pages
// define them, into Tracee's policy model: one policy whose scope is the --scope expressions and
// whose rules are the selected events with their filters. Plain names, sets and globs alone need
// no policy: then it returns (names, nil, nil) and selection works as before.
//
// Forms of an --events value:
//
//	name1,name2,-name3       names, sets and globs; a leading '-' excludes
//	tag=fs,network           every event of these sets (tags)
//	EVENT.data.ARG=v1,v2     a filter on an argument (= != with * globs; < > <= >= on numbers)
//	EVENT.retval<0           a filter on the return value
//	EVENT.scope.FIELD=v      a filter on a context field (uid, comm, container, processName ...)
//	threat.severity>=high    signatures by severity (info|low|medium|high|critical or 0-4)
//	threat.mitre.technique=T1055, threat.mitre.tactic="Defense Evasion", threat.name=NAME
func EventFlags(cat *Catalog, events, scopes []string) ([]string, *Policy, error) {
	c := cliCompiler{cat: cat, filters: map[string][]Filter{}, include: map[string]bool{}, exclude: map[string]bool{}}
	needPolicy := len(scopes) > 0
	var plain []string
	for _, raw := range events {
		v := strings.TrimSpace(raw)
		pos := fmt.Sprintf("--events %q", raw)
		switch {
		case v == "":
			continue
		case strings.HasPrefix(v, "threat."):
			needPolicy = true
			if err := c.threat(v, pos); err != nil {
				return nil, nil, err
			}
		case strings.HasPrefix(v, "tag="):
			needPolicy = true
			for _, set := range strings.Split(strings.TrimPrefix(v, "tag="), ",") {
				if err := c.add(strings.TrimSpace(set), pos, true); err != nil {
					return nil, nil, err
				}
			}
		case isEventFilter(v):
			needPolicy = true
			if err := c.filter(v, pos); err != nil {
				return nil, nil, err
			}
		default:
			for _, name := range strings.Split(v, ",") {
				name = strings.TrimSpace(name)
				if name == "" {
					continue
				}
				if strings.HasPrefix(name, "-") {
					needPolicy = true
					if err := c.add(strings.TrimPrefix(name, "-"), pos, false); err != nil {
						return nil, nil, err
					}
					continue
				}
				plain = append(plain, name)
				if err := c.add(name, pos, true); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if !needPolicy {
		return plain, nil, nil
	}
	p := &Policy{Name: CLIPolicyName, Pos: "command line"}
	for _, s := range scopes {
		for _, expr := range splitScopeFlag(s) {
			f, err := ParseScopeFilter(scopeAlias(expr), fmt.Sprintf("--scope %q", s))
			if err != nil {
				return nil, nil, err
			}
			p.Scope = append(p.Scope, f)
		}
	}
	if len(c.include) == 0 { // only exclusions or only a scope: start from the default selection
		if err := c.add("signatures", "--events", true); err != nil {
			return nil, nil, err
		}
	}
	names := make([]string, 0, len(c.include))
	for name := range c.include {
		if !c.exclude[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil, &PolicyError{Pos: "--events", Msg: "every selected event is excluded", Fix: "select at least one event that no '-name' removes"}
	}
	for _, name := range names {
		p.Rules = append(p.Rules, PolicyRule{Event: name, Filters: c.filters[name], Pos: "--events " + name})
	}
	return nil, p, nil
}

type cliCompiler struct {
	cat              *Catalog
	filters          map[string][]Filter
	include, exclude map[string]bool
}

// add resolves a name, set or glob and includes or excludes what it matches.
func (c *cliCompiler) add(name, pos string, include bool) error {
	matched := resolveName(c.cat, name)
	if len(matched) == 0 {
		if name == "signatures" && include {
			return nil // no signatures loaded: nothing to select, and not a user error
		}
		return &PolicyError{Pos: pos, Msg: (&UnknownEventError{Name: name, Suggestions: Suggest(name, append(c.cat.Names(), setNames(c.cat)...))}).Error()}
	}
	for _, d := range matched {
		if include {
			c.include[d.Name] = true
		} else {
			c.exclude[d.Name] = true
		}
	}
	return nil
}

// isEventFilter reports whether v is EVENT.data.X, EVENT.retval or EVENT.scope.X with an operator.
func isEventFilter(v string) bool {
	i := strings.IndexByte(v, '.')
	if i <= 0 {
		return false
	}
	rest := v[i+1:]
	return strings.HasPrefix(rest, "data.") || strings.HasPrefix(rest, "retval") || strings.HasPrefix(rest, "scope.")
}

func (c *cliCompiler) filter(v, pos string) error {
	i := strings.IndexByte(v, '.')
	event, rest := v[:i], v[i+1:]
	if _, ok := c.cat.Lookup(event); !ok {
		return &PolicyError{Pos: pos, Msg: (&UnknownEventError{Name: event, Suggestions: Suggest(event, c.cat.Names())}).Error()}
	}
	expr := strings.TrimPrefix(rest, "scope.")
	f, err := ParseRuleFilter(scopeAlias(expr), pos)
	if err != nil {
		return err
	}
	c.include[event] = true
	c.filters[event] = append(c.filters[event], f)
	if f.kind == fieldData {
		return checkDataFilters(c.cat, PolicyRule{Event: event, Filters: []Filter{f}}, Selection{Emit: map[string]bool{event: true}})
	}
	return nil
}

// threat selects signature events by their metadata.
func (c *cliCompiler) threat(v, pos string) error {
	match, err := ThreatMatcher(v)
	if err != nil {
		err.Pos = pos
		return err
	}
	for _, d := range c.cat.All() {
		if d.Kind == KindSignature && d.Signature != nil && match(d.Signature) {
			c.include[d.Name] = true
		}
	}
	return nil
}

// ThreatMatcher compiles a threat.* expression (threat.severity>=high, threat.mitre.technique=T1055,
// threat.mitre.tactic="Defense Evasion", threat.name=NAME) into a test of a signature.
func ThreatMatcher(v string) (func(*SignatureInfo) bool, *PolicyError) {
	field, op, value := splitFilter(strings.TrimPrefix(v, "threat."))
	value = strings.Trim(value, `"'`)
	if op == OpPresent || value == "" {
		return nil, &PolicyError{Msg: fmt.Sprintf("%q needs an operator and a value", v), Fix: "write e.g. threat.severity>=high"}
	}
	switch field {
	case "severity":
		var wants []int
		for _, v := range strings.Split(value, ",") {
			want, err := ParseSeverity(v)
			if err != nil {
				return nil, &PolicyError{Msg: err.Error(), Fix: "severities are info, low, medium, high, critical (or 0-4)"}
			}
			wants = append(wants, want)
		}
		if len(wants) > 1 && op != OpEqual && op != OpNotEqual {
			return nil, &PolicyError{Msg: fmt.Sprintf("%q: only = and != take several severities", v), Fix: "write e.g. threat.severity>=high"}
		}
		return func(s *SignatureInfo) bool {
			hit := false
			for _, w := range wants {
				if s.Severity() == w {
					hit = true
				}
			}
			if op == OpEqual {
				return hit
			}
			if op == OpNotEqual {
				return !hit
			}
			return compareInt(s.Severity(), op, wants[0])
		}, nil
	case "mitre.technique", "mitre.tactic", "name":
		if op != OpEqual && op != OpNotEqual {
			return nil, &PolicyError{Msg: fmt.Sprintf("threat.%s takes = or !=", field), Fix: "write e.g. threat." + field + "=VALUE"}
		}
		get := map[string]func(*SignatureInfo) []string{
			"mitre.technique": func(s *SignatureInfo) []string {
				id := s.ExternalID()
				return []string{id, strings.SplitN(id, ".", 2)[0], s.Technique()}
			},
			"mitre.tactic": func(s *SignatureInfo) []string {
				return []string{PropertyString(s.Metadata.Properties, "Category"), PropertyString(s.Metadata.Properties, "Tactic")}
			},
			"name": func(s *SignatureInfo) []string { return []string{s.Metadata.EventName, s.Metadata.Name, s.Metadata.ID} },
		}[field]
		wants := strings.Split(value, ",")
		return func(s *SignatureInfo) bool {
			hit := false
			for _, have := range get(s) {
				for _, w := range wants {
					if have != "" && normalThreat(have) == normalThreat(w) {
						hit = true
					}
				}
			}
			return hit == (op == OpEqual)
		}, nil
	}
	return nil, &PolicyError{Msg: fmt.Sprintf("unknown threat property %q", field),
		Fix: "threat properties are severity, mitre.technique, mitre.tactic and name"}
}

// normalThreat compares tactic and technique names loosely: "Defense Evasion" = "defense-evasion".
func normalThreat(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "-", "_", "-").Replace(strings.TrimSpace(s)))
}

func compareInt(have int, op Operator, want int) bool {
	switch op {
	case OpEqual:
		return have == want
	case OpNotEqual:
		return have != want
	case OpLess:
		return have < want
	case OpGreater:
		return have > want
	case OpLessEqual:
		return have <= want
	case OpGreaterEqual:
		return have >= want
	}
	return false
}

// scopeAlias maps Tracee's short scope names (p, u, c, t, e) to the canonical ones.
func scopeAlias(expr string) string {
	field, op, value := splitFilter(expr)
	if long, ok := map[string]string{"p": "pid", "u": "uid", "c": "container", "t": "tree", "e": "executable",
		"m": "mntns", "n": "pidns"}[field]; ok {
		return long + string(op) + value
	}
	return expr
}

// splitScopeFlag returns the expressions of one --scope value (one expression per flag).
func splitScopeFlag(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return []string{s}
}
