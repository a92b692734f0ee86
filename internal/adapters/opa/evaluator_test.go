package opa

import (
	"context"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
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
