package opa

import (
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// prefilter holds conditions every successful evaluation of tracee_match needs: for each rule
// defining it, the top-level conjuncts of its body that compare an input field with constants
// (input.data.request == 0, input.eventName == "ptrace", input.data.path in {"a", "b"}). Most
// events match no signature, and these conjuncts reject them in Go, without an OPA evaluation.
// The conditions are necessary, never sufficient: an event that passes is evaluated by OPA, so
// the result is always OPA's. A rule with no such conjunct (or an else, a non-false default, a
// partial rule) disables the prefilter.
type prefilter struct {
	rules [][]condition // OR of ANDs
}

// condition says input.<path> must equal one of values.
type condition struct {
	path   []string
	values []*ast.Term
}

// buildPrefilter reads the conditions of mod's tracee_match rules. builtinHelpers says that
// tracee.helpers is the built-in package, whose get_tracee_argument(name) is input.data[name].
func buildPrefilter(mod *ast.Module, builtinHelpers bool) *prefilter {
	p := &prefilter{}
	for _, r := range mod.Rules {
		if r.Head.Name.String() != ruleMatch && !(len(r.Head.Reference) == 1 && r.Head.Reference[0].Value.Compare(ast.Var(ruleMatch)) == 0) {
			continue
		}
		if len(r.Head.Reference) > 1 || r.Head.Key != nil || len(r.Head.Args) > 0 || r.Else != nil {
			return nil
		}
		if r.Default {
			if r.Head.Value != nil && r.Head.Value.Value.Compare(ast.Boolean(false)) == 0 {
				continue // a default false never reports a finding
			}
			return nil
		}
		var conds []condition
		vars := map[ast.Var][]string{} // request := helpers.get_tracee_argument("request")
		for _, e := range r.Body {
			if builtinHelpers {
				if v, path, ok := argumentBinding(e); ok {
					vars[v] = path
					continue
				}
			}
			if c, ok := conditionOf(e, vars); ok {
				conds = append(conds, c)
			}
		}
		if len(conds) == 0 {
			return nil
		}
		p.rules = append(p.rules, conds)
	}
	if len(p.rules) == 0 {
		return nil
	}
	return p
}

// conditionOf recognises `input.a.b == const`, `input.a.b = const` and `input.a.b in {consts}`.
func conditionOf(e *ast.Expr, vars map[ast.Var][]string) (condition, bool) {
	if e.Negated || len(e.With) > 0 || !e.IsCall() {
		return condition{}, false
	}
	terms, _ := e.Terms.([]*ast.Term)
	if len(terms) != 3 {
		return condition{}, false
	}
	switch e.Operator().String() {
	case "equal", "eq":
		if path, ok := inputPath(terms[1], vars); ok && isScalar(terms[2]) {
			return condition{path: path, values: []*ast.Term{terms[2]}}, true
		}
		if path, ok := inputPath(terms[2], vars); ok && isScalar(terms[1]) {
			return condition{path: path, values: []*ast.Term{terms[1]}}, true
		}
	case "internal.member_2":
		path, ok := inputPath(terms[1], vars)
		if !ok || !terms[2].IsGround() {
			return condition{}, false
		}
		var values []*ast.Term
		switch c := terms[2].Value.(type) {
		case ast.Set:
			c.Foreach(func(t *ast.Term) { values = append(values, t) })
		case *ast.Array:
			c.Foreach(func(t *ast.Term) { values = append(values, t) })
		default:
			return condition{}, false
		}
		for _, v := range values {
			if !isScalar(v) {
				return condition{}, false
			}
		}
		return condition{path: path, values: values}, true
	}
	return condition{}, false
}

func isScalar(t *ast.Term) bool {
	switch t.Value.(type) {
	case ast.String, ast.Number, ast.Boolean, ast.Null:
		return true
	}
	return false
}

// argumentBinding recognises `v := helpers.get_tracee_argument("name")` (Tracee's style; also
// with = and the full data.tracee.helpers path): v is input.data.name.
func argumentBinding(e *ast.Expr) (ast.Var, []string, bool) {
	if e.Negated || len(e.With) > 0 || !e.IsCall() {
		return "", nil, false
	}
	terms, _ := e.Terms.([]*ast.Term)
	if len(terms) != 3 || (e.Operator().String() != "assign" && e.Operator().String() != "eq") {
		return "", nil, false
	}
	v, isVar := terms[1].Value.(ast.Var)
	call, isCall := terms[2].Value.(ast.Call)
	if !isVar || !isCall || len(call) != 2 {
		return "", nil, false
	}
	if fn := call[0].String(); fn != "helpers.get_tracee_argument" && fn != "data.tracee.helpers.get_tracee_argument" {
		return "", nil, false
	}
	name, isString := call[1].Value.(ast.String)
	if !isString {
		return "", nil, false
	}
	return v, []string{"data", string(name)}, true
}

// inputPath returns ["data", "request"] for input.data.request (or a variable bound to it);
// false for anything else.
func inputPath(t *ast.Term, vars map[ast.Var][]string) ([]string, bool) {
	if v, ok := t.Value.(ast.Var); ok {
		path, bound := vars[v]
		return path, bound
	}
	ref, ok := t.Value.(ast.Ref)
	if !ok || len(ref) < 2 || !ref[0].Equal(ast.InputRootDocument) {
		return nil, false
	}
	path := make([]string, 0, len(ref)-1)
	for _, p := range ref[1:] {
		s, ok := p.Value.(ast.String)
		if !ok {
			return nil, false
		}
		path = append(path, string(s))
	}
	return path, true
}

// mayMatch reports whether some rule's conditions all hold for ev.
func (p *prefilter) mayMatch(ev *trace.Event) bool {
	for _, conds := range p.rules {
		ok := true
		for i := range conds {
			if !conds[i].holds(ev) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// eventStrings are the string fields compared without building a term.
var eventStrings = map[string]func(*trace.Event) string{
	"eventName":   func(ev *trace.Event) string { return ev.EventName },
	"processName": func(ev *trace.Event) string { return ev.ProcessName },
	"hostName":    func(ev *trace.Event) string { return ev.HostName },
	"containerId": func(ev *trace.Event) string { return ev.ContainerID },
	"syscall":     func(ev *trace.Event) string { return ev.Syscall },
}

func (c *condition) holds(ev *trace.Event) bool {
	if len(c.path) == 1 {
		if get, ok := eventStrings[c.path[0]]; ok {
			return c.anyString(get(ev))
		}
	}
	if len(c.path) == 2 && c.path[0] == "data" {
		a := domain.Arg(ev, c.path[1])
		if a == nil {
			return false // undefined: the rule body fails
		}
		switch v := a.Value.(type) {
		case string:
			return c.anyString(v)
		case int, int8, int16, int32, int64, uint8, uint16, uint32:
			n, _ := integerOf(v)
			return c.anyInteger(n)
		}
		return c.anyTerm(valueTerm(a.Value))
	}
	t := c.resolve(ev)
	return t != nil && c.anyTerm(t)
}

func (c *condition) anyString(s string) bool {
	for _, v := range c.values {
		if str, ok := v.Value.(ast.String); ok && string(str) == s {
			return true
		}
	}
	return false
}

func (c *condition) anyInteger(n int64) bool {
	for _, v := range c.values {
		num, ok := v.Value.(ast.Number)
		if !ok {
			continue
		}
		if i, isInt := num.Int64(); isInt {
			if i == n {
				return true
			}
		} else if ast.Compare(num, ast.Number(strconv.FormatInt(n, 10))) == 0 { // 1.0 == 1
			return true
		}
	}
	return false
}

func (c *condition) anyTerm(t *ast.Term) bool {
	for _, v := range c.values {
		if ast.Compare(t.Value, v.Value) == 0 {
			return true
		}
	}
	return false
}

// resolve builds input.<path> for ev; nil when undefined.
func (c *condition) resolve(ev *trace.Event) *ast.Term {
	var t *ast.Term
	for _, f := range inputFields {
		if string(f.key.Value.(ast.String)) == c.path[0] {
			t = f.build(ev, nil)
			break
		}
	}
	for _, k := range c.path[1:] {
		if t == nil {
			return nil
		}
		t = t.Get(ast.StringTerm(k))
	}
	return t
}

func integerOf(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	}
	return 0, false
}
