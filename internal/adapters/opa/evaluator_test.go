package opa

import (
	"context"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// compileTest compiles one Rego v1 module (package p) with the helpers.
func compileTest(t *testing.T, src string) *ast.Compiler {
	t.Helper()
	mod, err := parseModule("p.rego", "package p\n\n"+src)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := compile(map[string]*ast.Module{"p.rego": mod})
	if err != nil {
		t.Fatal(err)
	}
	return comp
}

func TestPrepare_reads_only_the_input_the_query_reaches(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		partial bool
		reads   fieldSet
	}{
		{"argument by name", `m if input.data.request == 0`, true, fieldSet{"data": {"request": true}}},
		{"nested keys", `m if { input.container.id != ""; input.container.image == "a"; input.eventName == "x" }`,
			true, fieldSet{"container": {"id": true, "image": true}, "eventName": nil}},
		{"through a variable", `m if { c := input.container; c.id != "" }`, true, fieldSet{"container": {"id": true}}},
		{"whole field", `m := input.container if input.eventName == "x"`, true, fieldSet{"container": nil, "eventName": nil}},
		{"key known at run time", `m if input.data[input.processName] == 1`, true, fieldSet{"data": nil, "processName": nil}},
		{"whole input", `m if count(input) > 1`, true, nil},
		{"helpers inlined", "import data.tracee.helpers\nm if helpers.get_tracee_argument(\"pid\") == 7", true, fieldSet{"data": {"pid": true}}},
		{"unused rules are not read", "other if input.processName == \"x\"\nm if input.eventName == \"x\"", true, fieldSet{"eventName": nil}},
		{"rules OR-ed: evaluated as written", "m if input.data.pid == 1\nm if input.processName == \"x\"", false,
			fieldSet{"data": {"pid": true}, "processName": nil}},
		{"support rules", "default m := false\nm if input.data.pid == 1", true, fieldSet{"data": {"pid": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := prepare(context.Background(), compileTest(t, tt.src), "data.p.m")
			if err != nil {
				t.Fatal(err)
			}
			if e.partial != tt.partial {
				t.Errorf("partially evaluated = %v, want %v (query: %v)", e.partial, tt.partial, e.query)
			}
			if !reflect.DeepEqual(e.reads, tt.reads) {
				t.Errorf("reads %v, want %v", e.reads, tt.reads)
			}
		})
	}
}

func TestPrepare_keeps_OPA_conflicts(t *testing.T) {
	e, err := prepare(context.Background(), compileTest(t, `m := x if some x in input.data.list`), "data.p.m")
	if err != nil {
		t.Fatal(err)
	}
	in := ast.NewTerm(ast.MustParseTerm(`{"data": {"list": [1, 2]}}`).Value)
	if _, err := e.eval(context.Background(), in); err == nil {
		t.Fatal("two values for a complete rule: no error")
	}
	in = ast.NewTerm(ast.MustParseTerm(`{"data": {"list": [1, 1]}}`).Value)
	if v, err := e.eval(context.Background(), in); err != nil || v == nil || !v.Equal(ast.InternedTerm(1)) {
		t.Fatalf("the same value twice: %v, %v", v, err)
	}
}

func TestPrepareDecision_reads_constant_keys_one_by_one(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		keys      []string // per-key queries
		whole     bool
		undefined bool // no query at all
	}{
		{"constant keys", "fields.a := 1\nfields.b := input.processName", []string{"a", "b"}, false, false},
		{"variable key", "fields[k] := 1 if some k in [\"a\"]", nil, true, false},
		{"whole object", `fields := {"a": 1}`, nil, true, false},
		{"nested key", "fields.a.b := 1", nil, true, false},
		{"more than 4 keys", "fields.a := 1\nfields.b := 1\nfields.c := 1\nfields.d := 1\nfields.e := 1", nil, true, false},
		{"no rule", "tags contains 1", nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod, err := parseModule("f.rego", "package tracee.findings\n\n"+tt.src)
			if err != nil {
				t.Fatal(err)
			}
			comp, err := compile(map[string]*ast.Module{"f.rego": mod})
			if err != nil {
				t.Fatal(err)
			}
			d, err := prepareDecision(context.Background(), comp, "fields")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.keys, tt.keys) || (d.whole != nil) != tt.whole || (d.whole == nil && d.byKey == nil) != tt.undefined {
				t.Fatalf("keys %v, whole %v; want keys %v, whole %v, undefined %v", d.keys, d.whole != nil, tt.keys, tt.whole, tt.undefined)
			}
		})
	}
}

func TestRuleCache_frames(t *testing.T) {
	var c ruleCache
	c.reset()
	a, b := ast.MustParseRef("data.p.a"), ast.MustParseRef("data.p.b")
	c.Put(a, ast.InternedTerm(1))
	c.Put(b, nil) // undefined
	if v, undefined := c.Get(a); !v.Equal(ast.InternedTerm(1)) || undefined {
		t.Fatalf("a = %v, %v", v, undefined)
	}
	if v, undefined := c.Get(b); v != nil || !undefined {
		t.Fatalf("b = %v, %v", v, undefined)
	}
	c.Push() // a `with` frame sees none of the outer values
	if v, _ := c.Get(a); v != nil {
		t.Fatalf("a in a new frame = %v", v)
	}
	c.Put(a, ast.InternedTerm(2))
	c.Pop()
	if v, _ := c.Get(a); !v.Equal(ast.InternedTerm(1)) {
		t.Fatalf("a after the frame = %v", v)
	}
	if len(c.Keys()) != 1 {
		t.Fatalf("keys %v", c.Keys())
	}
	c.reset()
	if v, _ := c.Get(a); v != nil {
		t.Fatalf("a after reset = %v", v)
	}
}

func TestInputFilter_reads_conditions(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		filtered bool
		pass     []string // inputs that must pass
		reject   []string // inputs the filter rejects
	}{
		{"equal", `m if input.data.request == "X"`, true, []string{`{"data": {"request": "X"}}`}, []string{`{"data": {"request": "Y"}}`, `{"data": {}}`, `{}`}},
		{"numbers", `m if input.data.request == 0`, true, []string{`{"data": {"request": 0}}`, `{"data": {"request": 0.0}}`}, []string{`{"data": {"request": "0"}}`}},
		{"in set", `m if input.signature.id in {"A", "B"}`, true, []string{`{"signature": {"id": "B"}}`}, []string{`{"signature": {"id": "C"}}`}},
		{"in array", `m if input.signature.id in ["A"]`, true, []string{`{"signature": {"id": "A"}}`}, []string{`{"signature": {"id": "C"}}`}},
		{"not equal", `m if input.container.id != ""`, true, []string{`{"container": {"id": "c"}}`}, []string{`{"container": {"id": ""}}`, `{"container": {}}`}},
		{"through a variable", `m if { x := input.processName; x == "gdb"; startswith(x, "g") }`, true, []string{`{"processName": "gdb"}`}, []string{`{"processName": "vim"}`}},
		{"negation is no condition", `m if not input.processName == "gdb"`, false, []string{`{"processName": "vim"}`}, nil},
		{"no comparison with a constant", `m if startswith(input.processName, "g")`, false, []string{`{"processName": "gdb"}`}, nil},
		{"rules OR-ed", "m if input.processName == \"a\"\nm if input.processName == \"b\"", true, []string{`{"processName": "b"}`}, []string{`{"processName": "c"}`}},
		{"one rule without condition", "m if input.processName == \"a\"\nm if startswith(input.processName, \"b\")", false, []string{`{"processName": "bb"}`}, nil},
		{"partial set", "m contains 1 if input.processName == \"a\"\nm contains 2 if input.userId == 0", true, []string{`{"userId": 0}`}, []string{`{"processName": "b", "userId": 1}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := prepare(context.Background(), compileTest(t, tt.src), "data.p.m")
			if err != nil {
				t.Fatal(err)
			}
			if (e.filter != nil) != tt.filtered {
				t.Fatalf("filter %v, want %v (query %v)", e.filter != nil, tt.filtered, e.query)
			}
			check := func(input string, wantPass bool) {
				in := ast.MustParseTerm(input)
				got, err := e.eval(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				filter := e.filter
				e.filter = nil
				want, err := e.eval(context.Background(), in) // OPA alone
				e.filter = filter
				if err != nil {
					t.Fatal(err)
				}
				if (got == nil) != (want == nil) || (got != nil && !got.Equal(want)) {
					t.Errorf("%s: %v with the filter, %v from OPA", input, got, want)
				}
				r := docReader(in.Value)
				if filter != nil && filter.pass(&r) != wantPass {
					t.Errorf("%s: pass = %v, want %v", input, !wantPass, wantPass)
				}
			}
			for _, in := range tt.pass {
				check(in, true)
			}
			for _, in := range tt.reject {
				check(in, false)
			}
		})
	}
}

func TestFindingEvaluator_shipped_policies_skip_decisions_that_cannot_apply(t *testing.T) {
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{"../../../policies/findings"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := e.cur.Load()
	trigger := ptraceEvent("PTRACE_POKETEXT") // process "evil", no debugger
	trigger.Container = trace.Container{ID: "abc", ImageName: "alpine"}
	ev := finding("TRC-103", trigger) // not a breakout signature
	input := p.shape.value(ev)
	input.Insert(signatureField.key, signatureField.build(ev, p.signatureKeys))
	for i, name := range decisionNames {
		evaluators := p.decisions[i].byKey
		if p.decisions[i].whole != nil {
			evaluators = []*evaluator{p.decisions[i].whole}
		}
		for _, q := range evaluators {
			r := eventReader(ev, true)
			skipped := q.filter != nil && !q.filter.pass(&r)
			if want := name == "suppress" || name == "severity"; skipped != want {
				t.Errorf("%s: skipped = %v, want %v", name, skipped, want)
			}
		}
	}
}

func TestPrepare_leaves_a_module_in_the_partial_namespace_alone(t *testing.T) {
	mod, err := parseModule("p.rego", "package "+partialNamespace+".p\n\nm if input.processName == \"a\"\n")
	if err != nil {
		t.Fatal(err)
	}
	comp, err := compile(map[string]*ast.Module{"p.rego": mod})
	if err != nil {
		t.Fatal(err)
	}
	e, err := prepare(context.Background(), comp, "data."+partialNamespace+".p.m")
	if err != nil {
		t.Fatal(err)
	}
	if e.partial {
		t.Fatal("partially evaluated into the module's own namespace")
	}
	v, err := e.eval(context.Background(), ast.MustParseTerm(`{"processName": "a"}`))
	if err != nil || v == nil || !v.Equal(ast.InternedTerm(true)) {
		t.Fatalf("value %v, %v", v, err)
	}
}
