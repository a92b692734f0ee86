package opa

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// directQuery answers a prepared query from the input alone, without OPA, when what partial
// evaluation left (the residual query, or the rules of the one document it reads) is only
// comparisons of input fields with constants and a value made of constants and input fields:
//
//	input.eventName = "ptrace"; x = input.data.request; internal.member_2(x, {0, "PTRACE_TRACEME"})
//	__tracee_result__ = {"ptrace_request": x}
//
// Each comparison is the operation OPA's evaluator runs for it (Term.Equal for =, == and !=,
// the collection's own lookup for `in`), so the answer is OPA's. Where the input is not what it
// expects (a field below something that is not an object, rules that disagree), it gives up and
// OPA evaluates the query.
type directQuery struct {
	bodies   []directBody
	set      bool      // a document of partial set rules: the set of the values of the bodies that hold
	rejected *ast.Term // the result when no body holds: nil (undefined) or the empty set
}

// directBody is one conjunction with the value it gives when it holds.
type directBody struct {
	defined []fieldPath // input fields a variable is bound to: each must be defined
	conds   []directCond
	value   directValue
	single  *ast.Term // set documents with a constant value: the set of that value alone
	never   bool      // a comparison of constants that fails
}

// fieldPath is an input field's keys: input.data.request is ["data", "request"] (string terms).
type fieldPath []*ast.Term

type directOp int

const (
	opEqual    directOp = iota // =, ==, equal: Term.Equal
	opNotEqual                 // !=: not Term.Equal
	opMember                   // in: the collection's membership test, as internal.member_2
)

// directCond is `input.<path> <op> constant`.
type directCond struct {
	path  fieldPath
	op    directOp
	value *ast.Term
}

// directValue is a constant, an input field, or an array or object of them (constant keys).
type directValue struct {
	constant *ast.Term
	scalar   interface{} // a scalar constant as a Go value, boxed once (immutable, so shared)
	path     fieldPath
	array    []directValue
	keys     []*ast.Term // object keys, with the values in fields
	fields   []directValue
	object   bool
}

// newDirectQuery reads query, compiled by c; nil when it is not of the direct form.
func newDirectQuery(c *ast.Compiler, query ast.Body) *directQuery {
	if doc, rejected, ok := documentRead(c, query); ok {
		d := &directQuery{rejected: rejected, set: rejected != nil}
		for _, r := range c.GetRules(doc) {
			head := r.Head.Value
			if d.set {
				head = r.Head.Key
			}
			if head == nil || r.Else != nil || r.Default || len(r.Head.Args) > 0 {
				return nil
			}
			b, ok := readDirectBody(r.Body, "")
			if !ok {
				return nil
			}
			if b.value, ok = readDirectValue(head, b.aliases); !ok {
				return nil
			}
			if d.set && b.value.constant != nil {
				b.single = ast.SetTerm(b.value.constant)
			}
			d.bodies = append(d.bodies, b.directBody)
		}
		if len(d.bodies) == 0 {
			return nil
		}
		return d
	}
	b, ok := readDirectBody(query, resultVar)
	if !ok || b.result == nil {
		return nil
	}
	if b.value, ok = readDirectValue(b.result, b.aliases); !ok {
		return nil
	}
	return &directQuery{bodies: []directBody{b.directBody}}
}

type directBodyReader struct {
	directBody
	aliases map[ast.Var]fieldPath
	result  *ast.Term // the term the result variable is unified with
}

// readDirectBody reads a conjunction of variable bindings to input fields, comparisons of input
// fields with constants and (when result is not "") one `result = term`; false for anything else.
func readDirectBody(body ast.Body, result ast.Var) (directBodyReader, bool) {
	r := directBodyReader{aliases: map[ast.Var]fieldPath{}}
	for _, e := range body {
		if e.Negated || len(e.With) > 0 || !e.IsCall() {
			return r, false
		}
		ops := e.Operands()
		if len(ops) != 2 {
			return r, false
		}
		a, b := ops[0], ops[1]
		name := e.Operator().String()
		if name == ast.Equality.Name { // unification: a binding, the result, or a comparison
			if v, ok := b.Value.(ast.Var); ok && (v == result || !isVar(a)) {
				a, b = b, a // the result variable, or a variable to bind, on the left
			}
			if v, ok := a.Value.(ast.Var); ok && result != "" && v == result {
				if r.result != nil {
					return r, false
				}
				r.result = b
				continue
			}
			if v, ok := a.Value.(ast.Var); ok {
				if _, bound := r.aliases[v]; !bound {
					path, ok := inputKeyPath(b)
					if !ok {
						return r, false
					}
					r.aliases[v], r.defined = path, append(r.defined, path)
					continue
				}
			}
			if ast.IsScalar(a.Value) && ast.IsScalar(b.Value) {
				r.never = r.never || !compare(opEqual, a, b)
				continue
			}
			if path, ok := directPath(a, r.aliases); ok && ast.IsScalar(b.Value) {
				r.conds = append(r.conds, directCond{path: path, op: opEqual, value: b})
				continue
			}
			if path, ok := directPath(b, r.aliases); ok && ast.IsScalar(a.Value) {
				r.conds = append(r.conds, directCond{path: path, op: opEqual, value: a})
				continue
			}
			return r, false
		}
		var op directOp
		switch name {
		case ast.Equal.Name:
			op = opEqual
		case ast.NotEqual.Name:
			op = opNotEqual
		case ast.Member.Name:
			op = opMember
		default:
			return r, false
		}
		if ast.IsConstant(a.Value) && ast.IsConstant(b.Value) {
			r.never = r.never || !compare(op, a, b)
			continue
		}
		path, ok := directPath(a, r.aliases)
		if !ok && op != opMember {
			path, ok = directPath(b, r.aliases)
			a, b = b, a
		}
		if !ok || !b.IsGround() || !ast.IsConstant(b.Value) {
			return r, false
		}
		r.conds = append(r.conds, directCond{path: path, op: op, value: b})
	}
	return r, true
}

// directPath is the input field t names: input.a.b, or a variable bound to one.
func directPath(t *ast.Term, aliases map[ast.Var]fieldPath) (fieldPath, bool) {
	if v, ok := t.Value.(ast.Var); ok {
		p, ok := aliases[v]
		return p, ok
	}
	return inputKeyPath(t)
}

func readDirectValue(t *ast.Term, aliases map[ast.Var]fieldPath) (directValue, bool) {
	if ast.IsConstant(t.Value) {
		v := directValue{constant: t}
		if ast.IsScalar(t.Value) {
			v.scalar, _ = goValue(t.Value)
		}
		return v, true
	}
	if p, ok := directPath(t, aliases); ok {
		return directValue{path: p}, true
	}
	switch x := t.Value.(type) {
	case *ast.Array:
		out := directValue{array: make([]directValue, 0, x.Len())}
		for i := 0; i < x.Len(); i++ {
			v, ok := readDirectValue(x.Elem(i), aliases)
			if !ok {
				return directValue{}, false
			}
			out.array = append(out.array, v)
		}
		return out, true
	case ast.Object:
		out := directValue{object: true}
		ok := true
		x.Foreach(func(k, v *ast.Term) {
			if !ok || !ast.IsConstant(k.Value) {
				ok = false
				return
			}
			var dv directValue
			dv, ok = readDirectValue(v, aliases)
			out.keys, out.fields = append(out.keys, k), append(out.fields, dv)
		})
		return out, ok
	}
	return directValue{}, false
}

// directState is the outcome of reading the input: a value, undefined, or unknown (OPA decides).
type directState int

const (
	stateDefined directState = iota
	stateUndefined
	stateUnknown
)

// eval is the query's result on input (nil: undefined); false when OPA must decide.
func (d *directQuery) eval(input *inputReader) (*ast.Term, bool) {
	var out *ast.Term
	var set []*ast.Term
	last := -1 // the body that held, when only one did
	for i := range d.bodies {
		b := &d.bodies[i]
		s := b.holds(input)
		var v *ast.Term
		if s == stateDefined {
			v, s = b.value.build(input)
		}
		switch {
		case s == stateUnknown:
			return nil, false
		case s == stateUndefined:
			continue
		case d.set:
			set, last = append(set, v), i
		case out == nil:
			out = v
		case !out.Equal(v):
			return nil, false // a conflict: OPA reports it
		}
	}
	switch {
	case !d.set:
		return out, true
	case len(set) == 0:
		return d.rejected, true
	case len(set) == 1 && d.bodies[last].single != nil:
		return d.bodies[last].single, true
	}
	return ast.SetTerm(set...), true
}

// holds evaluates the body's bindings and conditions: stateDefined when all hold.
func (b *directBody) holds(input *inputReader) directState {
	if b.never {
		return stateUndefined
	}
	for _, p := range b.defined {
		if _, s := input.lookup(p); s != stateDefined {
			return s
		}
	}
	for i := range b.conds {
		c := &b.conds[i]
		t, s := input.lookup(c.path)
		if s != stateDefined {
			return s
		}
		ok := compare(c.op, t, c.value)
		if !ok {
			return stateUndefined
		}
	}
	return stateDefined
}

// build makes the value on input: undefined when an input field it reads is.
func (v *directValue) build(input *inputReader) (*ast.Term, directState) {
	switch {
	case v.constant != nil:
		return v.constant, stateDefined
	case v.path != nil:
		return input.lookup(v.path)
	case v.object:
		o := ast.NewObjectWithCapacity(len(v.keys))
		for i := range v.fields {
			t, s := v.fields[i].build(input)
			if s != stateDefined {
				return nil, s
			}
			o.Insert(v.keys[i], t)
		}
		return ast.NewTerm(o), stateDefined
	}
	terms := make([]*ast.Term, len(v.array))
	for i := range v.array {
		t, s := v.array[i].build(input)
		if s != stateDefined {
			return nil, s
		}
		terms[i] = t
	}
	return ast.ArrayTerm(terms...), stateDefined
}

// compare is what OPA's evaluator does for x op y: Term.Equal for =, == and != (unification of
// two scalars compares them so too), the collection's membership test for `in` (topdown's
// builtinMember).
func compare(op directOp, x, y *ast.Term) bool {
	switch op {
	case opEqual:
		return x.Equal(y)
	case opNotEqual:
		return !x.Equal(y)
	}
	switch coll := y.Value.(type) {
	case ast.Set:
		return coll.Contains(x)
	case *ast.Array:
		return coll.Until(x.Equal)
	case ast.Object:
		return coll.Until(func(_, v *ast.Term) bool { return x.Equal(v) })
	}
	return false
}

func isVar(t *ast.Term) bool { _, ok := t.Value.(ast.Var); return ok }

// evalGo is eval's result as Go values (as goValue converts them), built without the Rego
// value in between; for one body that is not a set rule. stateUnknown: use eval.
func (d *directQuery) evalGo(input *inputReader) (interface{}, directState) {
	if d.set {
		return d.evalSetGo(input)
	}
	if len(d.bodies) != 1 {
		return nil, stateUnknown // several bodies may conflict: eval compares the values
	}
	b := &d.bodies[0]
	if s := b.holds(input); s != stateDefined {
		return nil, s
	}
	return b.value.goBuild(input)
}

// evalSetGo is evalGo for a set document: nothing, or one constant; others are left to eval.
func (d *directQuery) evalSetGo(input *inputReader) (interface{}, directState) {
	var held *directBody
	for i := range d.bodies {
		switch d.bodies[i].holds(input) {
		case stateUnknown:
			return nil, stateUnknown
		case stateDefined:
			if held != nil || d.bodies[i].value.constant == nil {
				return nil, stateUnknown
			}
			held = &d.bodies[i]
		}
	}
	if held == nil {
		return emptyList, stateDefined
	}
	x, s := held.value.goBuild(input)
	return []interface{}{x}, s
}

// goBuild is goValue(build(input)).
func (v *directValue) goBuild(input *inputReader) (interface{}, directState) {
	var t *ast.Term
	switch {
	case v.scalar != nil:
		return v.scalar, stateDefined
	case v.constant != nil:
		t = v.constant
	case v.path != nil:
		var s directState
		if t, s = input.lookup(v.path); s != stateDefined {
			return nil, s
		}
	case v.object:
		out := make(map[string]interface{}, len(v.keys))
		for i := range v.fields {
			k, ok := v.keys[i].Value.(ast.String)
			if !ok {
				return nil, stateUnknown // goValue writes other keys as JSON
			}
			x, s := v.fields[i].goBuild(input)
			if s != stateDefined {
				return nil, s
			}
			out[string(k)] = x
		}
		return out, stateDefined
	default:
		out := make([]interface{}, len(v.array))
		for i := range v.array {
			x, s := v.array[i].goBuild(input)
			if s != stateDefined {
				return nil, s
			}
			out[i] = x
		}
		return out, stateDefined
	}
	x, err := goValue(t.Value)
	if err != nil {
		return nil, stateUnknown
	}
	return x, stateDefined
}
