package opa

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// inputFilter holds conditions every solution of a prepared query needs, read at load from what
// partial evaluation left: the top-level conjuncts of the residual query that compare an input
// field with constants (input.signature.id in {...}, input.container.id != ""); or, when the
// query only reads a document (suppress contains ..., or rules OR-ed), those of each of its rules. An
// input failing them cannot give a value: the query is not run, its result is undefined (or the
// empty set). The conditions are necessary, never sufficient: an input that passes is evaluated
// by OPA, so every value is OPA's.
type inputFilter struct {
	bodies   [][]inputCondition // OR of ANDs
	rejected *ast.Term          // the result of a rejected input: nil (undefined) or the empty set
}

// inputCondition says input.<path> must equal one of values (with not: none of them).
type inputCondition struct {
	path    fieldPath
	values  []*ast.Term
	strings []string // the values when all are strings: compared as Go strings
	not     bool
}

func newInputCondition(path fieldPath, values []*ast.Term, not bool) inputCondition {
	c := inputCondition{path: path, values: values, not: not}
	for _, v := range values {
		s, ok := v.Value.(ast.String)
		if !ok {
			c.strings = nil
			break
		}
		c.strings = append(c.strings, string(s))
	}
	return c
}

// holds compares v with the values as ast.Compare does.
func (c *inputCondition) holds(v ast.Value) bool {
	found := false
	if c.strings != nil {
		s, isString := v.(ast.String)
		for _, want := range c.strings {
			if isString && string(s) == want {
				found = true
				break
			}
		}
	} else {
		for _, want := range c.values {
			if ast.Compare(v, want.Value) == 0 {
				found = true
				break
			}
		}
	}
	return found != c.not
}

var emptySet = ast.NewTerm(ast.NewSet())

// newInputFilter reads the conditions of query, compiled by c; nil when it has none to offer.
func newInputFilter(c *ast.Compiler, query ast.Body) *inputFilter {
	if doc, rejected, ok := documentRead(c, query); ok {
		f := &inputFilter{rejected: rejected}
		for _, r := range c.GetRules(doc) {
			conds := bodyConditions(r.Body)
			if len(conds) == 0 || r.Else != nil || r.Default {
				return nil
			}
			f.bodies = append(f.bodies, conds)
		}
		if len(f.bodies) == 0 {
			return nil
		}
		return f
	}
	if conds := bodyConditions(query); len(conds) > 0 {
		return &inputFilter{bodies: [][]inputCondition{conds}}
	}
	return nil
}

// documentRead recognises a query that is only `data.X = result`, where the rules at data.X
// (none below or above it) are all partial set rules (rejected: the empty set), or all complete
// rules without default or else (rejected: undefined).
func documentRead(c *ast.Compiler, query ast.Body) (ast.Ref, *ast.Term, bool) {
	if len(query) != 1 || !query[0].IsEquality() || query[0].Negated || len(query[0].With) > 0 {
		return nil, nil, false
	}
	a, b := query[0].Operand(0), query[0].Operand(1)
	if v, ok := a.Value.(ast.Var); ok && v == resultVar {
		a, b = b, a
	}
	ref, ok := a.Value.(ast.Ref)
	if v, isVar := b.Value.(ast.Var); !ok || !isVar || v != resultVar || !ref.IsGround() || !ref[0].Equal(ast.DefaultRootDocument) {
		return nil, nil, false
	}
	rules := c.GetRules(ref)
	sets, complete := 0, 0
	for _, r := range rules {
		switch {
		case !r.Ref().Equal(ref) || len(r.Head.Args) > 0:
			return nil, nil, false
		case r.Head.RuleKind() == ast.MultiValue:
			sets++
		case r.Head.Key == nil && !r.Default && r.Else == nil:
			complete++
		default:
			return nil, nil, false
		}
	}
	switch {
	case sets > 0 && complete == 0:
		return ref, emptySet, true
	case complete > 0 && sets == 0:
		return ref, nil, true
	}
	return nil, nil, false
}

// bodyConditions reads the top-level conjuncts of body that compare an input field (directly, or
// through a variable the body binds to it with `v = input.a.b`) with constants: eq, equal, neq and
// membership in a constant set or array.
func bodyConditions(body ast.Body) []inputCondition {
	alias := map[ast.Var][]*ast.Term{}
	for _, e := range body {
		if !e.IsEquality() || e.Negated || len(e.With) > 0 {
			continue
		}
		a, b := e.Operand(0), e.Operand(1)
		if _, ok := b.Value.(ast.Var); ok {
			a, b = b, a
		}
		if v, ok := a.Value.(ast.Var); ok {
			if path, ok := inputKeyPath(b); ok {
				if _, seen := alias[v]; !seen {
					alias[v] = path
				}
			}
		}
	}
	pathOf := func(t *ast.Term) ([]*ast.Term, bool) {
		if v, ok := t.Value.(ast.Var); ok {
			p, ok := alias[v]
			return p, ok
		}
		return inputKeyPath(t)
	}
	var conds []inputCondition
	for _, e := range body {
		if e.Negated || len(e.With) > 0 || !e.IsCall() || len(e.Operands()) != 2 {
			continue
		}
		x, y := e.Operand(0), e.Operand(1)
		switch e.Operator().String() {
		case ast.Equality.Name, ast.Equal.Name, ast.NotEqual.Name:
			if _, ok := pathOf(x); !ok {
				x, y = y, x
			}
			path, ok := pathOf(x)
			if !ok || !ast.IsScalar(y.Value) {
				continue
			}
			conds = append(conds, newInputCondition(path, []*ast.Term{y}, e.Operator().String() == ast.NotEqual.Name))
		case ast.Member.Name:
			path, ok := pathOf(x)
			values, constant := constantElements(y)
			if ok && constant {
				conds = append(conds, newInputCondition(path, values, false))
			}
		}
	}
	return conds
}

// inputPath reads input.a.b (string keys only) as interned key terms.
func inputKeyPath(t *ast.Term) (fieldPath, bool) {
	ref, ok := t.Value.(ast.Ref)
	if !ok || len(ref) < 2 || !ref[0].Equal(ast.InputRootDocument) {
		return nil, false
	}
	path := make(fieldPath, 0, len(ref)-1)
	for _, k := range ref[1:] {
		s, ok := k.Value.(ast.String)
		if !ok {
			return nil, false
		}
		path = append(path, nameTerm(string(s)))
	}
	return path, true
}

// constantElements are the elements of a constant set or array of scalars.
func constantElements(t *ast.Term) ([]*ast.Term, bool) {
	var out []*ast.Term
	ok := true
	add := func(x *ast.Term) {
		ok = ok && ast.IsScalar(x.Value)
		out = append(out, x)
	}
	switch c := t.Value.(type) {
	case ast.Set:
		c.Foreach(add)
	case *ast.Array:
		c.Foreach(add)
	default:
		return nil, false
	}
	return out, ok && len(out) > 0
}

// pass reports whether input may give a value: some body has all its conditions met.
func (f *inputFilter) pass(input *inputReader) bool {
	for _, conds := range f.bodies {
		if conditionsMet(conds, input) {
			return true
		}
	}
	return false
}

func conditionsMet(conds []inputCondition, input *inputReader) bool {
	for i := range conds {
		c := &conds[i]
		t, s := input.lookup(c.path)
		if s != stateDefined {
			return false // undefined: the comparison fails
		}
		if !c.holds(t.Value) {
			return false
		}
	}
	return true
}
