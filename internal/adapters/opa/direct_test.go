package opa

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestDirectQuery_answers_as_OPA compares, form by form and input by input, the direct answer
// with OPA's evaluation of the same prepared query (direct answer and input filter off).
func TestDirectQuery_answers_as_OPA(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		direct  bool
		inputs  []string
		unknown []string // inputs the direct answer must leave to OPA
	}{
		{"equal", `m if input.data.request == "X"`, true,
			[]string{`{"data": {"request": "X"}}`, `{"data": {"request": "Y"}}`, `{"data": {"request": 0}}`, `{"data": {}}`, `{}`}, nil},
		{"numbers", `m if input.data.request == 0`, true,
			[]string{`{"data": {"request": 0}}`, `{"data": {"request": 0.0}}`, `{"data": {"request": -0}}`, `{"data": {"request": 1e-400}}`, `{"data": {"request": "0"}}`, `{"data": {"request": false}}`}, nil},
		{"unification", `m if input.data.request = 16`, true,
			[]string{`{"data": {"request": 16}}`, `{"data": {"request": 16.0}}`, `{"data": {"request": 1.6e1}}`, `{"data": {"request": "16"}}`, `{"data": {"request": [16]}}`}, nil},
		{"in set", `m := input.signature.id if input.signature.id in {"A", "B", 1}`, true,
			[]string{`{"signature": {"id": "B"}}`, `{"signature": {"id": "C"}}`, `{"signature": {"id": 1.0}}`, `{"signature": {"id": ["A"]}}`, `{"signature": {}}`}, nil},
		{"in array", `m if input.userId in [0, 1000]`, true,
			[]string{`{"userId": 1000}`, `{"userId": 1000.0}`, `{"userId": 1}`, `{"userId": "0"}`}, nil},
		{"in object values", `m if input.userId in {"root": 0}`, true,
			[]string{`{"userId": 0}`, `{"userId": "root"}`}, nil},
		{"not equal", `m if input.container.id != ""`, true,
			[]string{`{"container": {"id": "c"}}`, `{"container": {"id": ""}}`, `{"container": {}}`, `{}`, `{"container": {"id": null}}`},
			[]string{`{"container": "c"}`, `{"container": ["c"]}`}},
		{"booleans and null", "m if {\n input.contextFlags.isCompat == false\n input.metadata == null\n}", true,
			[]string{`{"contextFlags": {"isCompat": false}, "metadata": null}`, `{"contextFlags": {"isCompat": true}, "metadata": null}`, `{"contextFlags": {"isCompat": false}, "metadata": {}}`, `{"contextFlags": {"isCompat": 0}, "metadata": null}`}, nil},
		{"through a variable", `m if { x := input.processName; x == "gdb"; x != "" }`, true,
			[]string{`{"processName": "gdb"}`, `{"processName": "vim"}`, `{}`}, nil},
		{"value of input fields", `m := {"r": input.data.request, "k": "c", "l": [input.processName, 1]} if input.eventName == "ptrace"`, true,
			[]string{`{"eventName": "ptrace", "data": {"request": 0}, "processName": "a"}`, `{"eventName": "ptrace", "data": {"request": {"x": [1]}}}`, `{"eventName": "ptrace", "processName": "a"}`, `{"eventName": "open"}`}, nil},
		{"value undefined", `m := input.container.image if input.container.id != ""`, true,
			[]string{`{"container": {"id": "c", "image": "alpine"}}`, `{"container": {"id": "c"}}`, `{"container": {"id": ""}}`}, nil},
		{"partial set", "m contains \"a\" if input.processName == \"a\"\nm contains input.userId if input.processName != \"b\"", true,
			[]string{`{"processName": "a", "userId": 0}`, `{"processName": "b", "userId": 0}`, `{"processName": "c", "userId": 0}`, `{"processName": "a"}`, `{}`}, nil},
		{"one set rule", `m contains "container" if input.container.id != ""`, true,
			[]string{`{"container": {"id": "c"}}`, `{"container": {"id": ""}}`}, nil},
		{"complete rules", "m := 1 if input.processName == \"a\"\nm := 1.0 if input.userId == 0\nm := 2 if input.userId == 2", true,
			[]string{`{"processName": "a", "userId": 0}`, `{"processName": "a", "userId": 1}`, `{"userId": 0}`, `{}`},
			[]string{`{"processName": "a", "userId": 2}`}}, // a conflict: OPA's error
		{"a builtin", `m if startswith(input.processName, "g")`, false, []string{`{"processName": "gdb"}`}, nil},
		{"negation", `m if not input.processName == "gdb"`, false, []string{`{"processName": "vim"}`}, nil},
		{"two fields compared", `m if input.processName == input.executable.path`, false, []string{`{"processName": "a", "executable": {"path": "a"}}`}, nil},
		{"default", "default m := false\nm if input.processName == \"a\"", false, []string{`{"processName": "a"}`, `{}`}, nil},
		{"the whole input", `m := input if input.processName == "a"`, false, []string{`{"processName": "a"}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := prepare(context.Background(), compileTest(t, tt.src), "data.p.m")
			if err != nil {
				t.Fatal(err)
			}
			if (e.direct != nil) != tt.direct {
				t.Fatalf("direct %v, want %v (query %v)", e.direct != nil, tt.direct, e.query)
			}
			check := func(input string, answered bool) {
				in := ast.MustParseTerm(input)
				got, gotErr := e.eval(context.Background(), in)
				direct, filter := e.direct, e.filter
				e.direct, e.filter = nil, nil
				want, wantErr := e.eval(context.Background(), in) // OPA alone
				e.direct, e.filter = direct, filter
				if (gotErr != nil) != (wantErr != nil) {
					t.Fatalf("%s: error %v, OPA's %v", input, gotErr, wantErr)
				}
				if (got == nil) != (want == nil) || (got != nil && !got.Equal(want)) {
					t.Errorf("%s: %v, %v from OPA", input, got, want)
				}
				if direct == nil {
					return
				}
				r := docReader(in.Value)
				if _, ok := direct.eval(&r); ok != answered {
					t.Errorf("%s: answered directly %v, want %v", input, ok, answered)
				}
				if v, s := direct.evalGo(&r); s != stateUnknown {
					var wantGo interface{}
					if want != nil {
						wantGo, _ = goValue(want.Value)
					}
					if (s == stateDefined) != (want != nil) || !reflect.DeepEqual(v, wantGo) {
						t.Errorf("%s: %#v (%d) as Go values, %#v from OPA", input, v, s, wantGo)
					}
				}
			}
			for _, in := range tt.inputs {
				check(in, true)
			}
			for _, in := range tt.unknown {
				check(in, false)
			}
		})
	}
}

func TestDirectQuery_answers_the_shipped_policies_and_the_test_signature(t *testing.T) {
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{"../../../policies/findings"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := e.cur.Load()
	for i, name := range decisionNames {
		d := p.decisions[i]
		evaluators := d.byKey
		if d.whole != nil {
			evaluators = []*evaluator{d.whole}
		}
		for _, q := range evaluators {
			// suppress calls regex.replace and sprintf, severity min and plus: OPA evaluates them
			if want := name == "tags" || name == "fields"; (q.direct != nil) != want {
				t.Errorf("%s: direct = %v, want %v (query %v)", name, q.direct != nil, want, q.query)
			}
		}
	}
	_, res := loadTestSignatures(t)
	if sig := byID(t, res, "REGO-102").Signature.(*regoSignature); sig.cur.Load().match.direct == nil {
		t.Errorf("REGO-102: no direct answer for %v", sig.cur.Load().match.query)
	}
}

// TestInputReader_reads_the_event_as_the_document checks that reading a field straight from the
// event gives what the built input document holds, for every field and key of the differential
// events, as signature events and as findings.
func TestInputReader_reads_the_event_as_the_document(t *testing.T) {
	events := differentialEvents(t)
	for i := range events {
		events = append(events, *finding("TRC-103", events[i]))
	}
	for i := range events {
		ev := &events[i]
		for _, signature := range []bool{false, true} {
			doc := shapeFor(nil).value(ev)
			if signature {
				doc.Insert(signatureField.key, signatureField.build(ev, nil))
			}
			var paths []fieldPath
			doc.Foreach(func(k, v *ast.Term) {
				paths = append(paths, fieldPath{k}, fieldPath{k, nameTerm("nope")}, fieldPath{k, nameTerm("id"), nameTerm("x")})
				if o, ok := v.Value.(ast.Object); ok {
					o.Foreach(func(k2, _ *ast.Term) { paths = append(paths, fieldPath{k, k2}) })
				}
			})
			paths = append(paths, fieldPath{nameTerm("signature")}, fieldPath{nameTerm("signature"), nameTerm("id")}, fieldPath{nameTerm("nope")})
			fromDoc, fromEvent := docReader(doc), eventReader(ev, signature)
			for _, p := range paths {
				for range 2 { // the second read comes from the reader's cache
					want, wantState := fromDoc.lookup(p)
					got, gotState := fromEvent.lookup(p)
					if gotState != wantState || (got == nil) != (want == nil) || (got != nil && !got.Equal(want)) {
						t.Fatalf("event %d (%s), signature %v, %v: %v (%d) from the event, %v (%d) in the document",
							i, ev.EventName, signature, p, got, gotState, want, wantState)
					}
				}
			}
		}
	}
}

func TestInputCondition_compares_as_ast_Compare(t *testing.T) {
	inputs := []string{`"a"`, `"b"`, `""`, `0`, `0.0`, `true`, `null`, `{"a": 1}`, `["a"]`}
	for _, values := range []string{`["a"]`, `["a", "b"]`, `[""]`, `[0, "a"]`, `[true]`} {
		var terms []*ast.Term
		ast.MustParseTerm(values).Value.(*ast.Array).Foreach(func(t *ast.Term) { terms = append(terms, t) })
		for _, not := range []bool{false, true} {
			c := newInputCondition(nil, terms, not)
			for _, in := range inputs {
				v := ast.MustParseTerm(in).Value
				found := false
				for _, want := range terms {
					found = found || ast.Compare(v, want.Value) == 0
				}
				if got := c.holds(v); got != (found != not) {
					t.Errorf("%s in %s (not %v): %v, want %v", in, values, not, got, found != not)
				}
			}
		}
	}
}

func TestContextTerm_interns_a_bounded_set(t *testing.T) {
	long := strings.Repeat("x", maxContextTermLen+1)
	if a, b := contextTerm(long), contextTerm(long); a == b || !a.Equal(ast.StringTerm(long)) {
		t.Errorf("a string over %d bytes: interned %v", maxContextTermLen, a == b)
	}
	if contextTerm("gdb") != contextTerm("gdb") {
		t.Error("gdb not interned")
	}
	for i := 0; i < maxContextTerms+10; i++ {
		s := "comm-" + strconv.Itoa(i)
		if got := contextTerm(s); !got.Equal(ast.StringTerm(s)) {
			t.Fatalf("%s: %v", s, got)
		}
	}
	contextTerms.RLock()
	n := len(contextTerms.m)
	contextTerms.RUnlock()
	if n > maxContextTerms {
		t.Errorf("%d strings interned, bound %d", n, maxContextTerms)
	}
}
