package opa

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// inputReader reads input fields for the direct answer and the input filter: in the input
// document when it is built, otherwise straight from the event, building only the values read
// (input.data.request is one argument's value, not the data object), each once.
type inputReader struct {
	doc       ast.Value // the input document; nil: read ev
	ev        *trace.Event
	signature bool // a finding's input: input.signature is there
	n         int
	cache     [8]readEntry
}

type readEntry struct {
	path  fieldPath
	t     *ast.Term
	state directState
}

func docReader(doc ast.Value) inputReader { return inputReader{doc: doc} }

// eventReader reads ev as the input document; signature adds a finding's input.signature.
func eventReader(ev *trace.Event, signature bool) inputReader {
	return inputReader{ev: ev, signature: signature}
}

// lookup reads input.<path>.
func (r *inputReader) lookup(path fieldPath) (*ast.Term, directState) {
	if r.doc != nil {
		return lookup(r.doc, path)
	}
	for i := 0; i < r.n; i++ {
		if samePath(r.cache[i].path, path) {
			return r.cache[i].t, r.cache[i].state
		}
	}
	t, s := r.read(path)
	if r.n < len(r.cache) {
		r.cache[r.n] = readEntry{path: path, t: t, state: s}
		r.n++
	}
	return t, s
}

// read builds input.<path> from the event: one key of an object field, or the field whole.
func (r *inputReader) read(path fieldPath) (*ast.Term, directState) {
	name := string(path[0].Value.(ast.String))
	f := fieldByName[name]
	if name == "signature" && r.signature {
		f = &signatureField
	}
	if f == nil {
		return nil, stateUndefined // no such field in the document
	}
	if len(path) > 1 && f.member != nil {
		t, s := f.member(r.ev, string(path[1].Value.(ast.String)))
		if s != stateDefined || len(path) == 2 {
			return t, s
		}
		return lookup(t.Value, path[2:])
	}
	t := f.build(r.ev, nil)
	if len(path) == 1 {
		return t, stateDefined
	}
	return lookup(t.Value, path[1:])
}

func samePath(a, b fieldPath) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && a[i].Value.(ast.String) != b[i].Value.(ast.String) {
			return false
		}
	}
	return true
}

// lookup reads <path> in v as OPA's reference does through objects; anything else on the way
// (an array, a set, a scalar) is left to OPA.
func lookup(v ast.Value, path fieldPath) (*ast.Term, directState) {
	var t *ast.Term
	for _, k := range path {
		o, ok := v.(ast.Object)
		if !ok {
			return nil, stateUnknown
		}
		if t = o.Get(k); t == nil {
			return nil, stateUndefined
		}
		v = t.Value
	}
	return t, stateDefined
}
