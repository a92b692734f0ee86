package opa

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// matchRuleForms are tracee_match rules of every form the prefilter reads or refuses.
var matchRuleForms = []struct {
	name    string
	match   string
	enabled bool // a prefilter is expected
}{
	{"equal string", `tracee_match if input.data.request == "PTRACE_TRACEME"`, true},
	{"equal number", `tracee_match if input.data.request == 0`, true},
	{"float constant", `tracee_match if input.data.request == 0.0`, true},
	{"unify", `tracee_match if { input.data.request = 16 }`, true},
	{"constant first", `tracee_match if 16 == input.data.request`, true},
	{"in set", `tracee_match if input.data.request in {0, "PTRACE_TRACEME", 16}`, true},
	{"event name and arg", `tracee_match := {"x": 1} if { input.eventName == "ptrace"; input.data.pid == 7 }`, true},
	{"process name", `tracee_match if input.processName == "gdb"`, true},
	{"nested field", `tracee_match if input.executable.path == "/usr/bin/gdb"`, true},
	{"two rules (OR)", "tracee_match if input.data.request == 0\ntracee_match if input.data.request == 16", true},
	{"default false", "default tracee_match := false\ntracee_match if input.data.request == 0", true},
	{"negation only", `tracee_match if not input.data.request == 0`, false},
	{"default true", "default tracee_match := true\ntracee_match if input.data.request == 0", false},
	{"variable", `tracee_match if { r := input.data.request; r == 0 }`, false},
	{"one rule without condition", "tracee_match if input.data.request == 0\ntracee_match if count(input.args) > 3", false},
	{"missing argument", `tracee_match if input.data.nope == 1`, true},
	{"tracee helpers style", "import data.tracee.helpers\ntracee_match if {\n\trequest := helpers.get_tracee_argument(\"request\")\n\trequest == 16\n}", true},
	{"helpers with full path", "tracee_match if {\n\tr = data.tracee.helpers.get_tracee_argument(\"request\")\n\t\"PTRACE_TRACEME\" == r\n}", true},
}

// TestPrefilter_never_rejects_what_OPA_matches compares, rule by rule and event by event, the Go
// prefilter with OPA's own evaluation of tracee_match.
func TestPrefilter_never_rejects_what_OPA_matches(t *testing.T) {
	rules := matchRuleForms
	events := []trace.Event{}
	for _, req := range []interface{}{int64(0), int64(16), "PTRACE_TRACEME", "PTRACE_ATTACH", uint64(16), 16.0, nil} {
		for _, comm := range []string{"gdb", "evil"} {
			ev := ptraceEvent("")
			ev.Args[0].Value = req
			ev.Args[1].Value = int32(8)
			ev.ProcessName = comm
			if comm == "gdb" {
				ev.Executable.Path = "/usr/bin/gdb"
				ev.Args[1].Value = int32(7)
			}
			events = append(events, ev)
		}
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSig(t, dir, "s.rego", r.match)
			res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
			if len(res.Signatures) != 1 {
				t.Fatal(res.Problems)
			}
			c := res.Signatures[0].Signature.(*regoSignature).cur.Load()
			if (c.pre != nil) != r.enabled {
				t.Fatalf("prefilter enabled = %v, want %v", c.pre != nil, r.enabled)
			}
			rejected := 0
			for i := range events {
				ev := &events[i]
				_, matched, err := c.eval(context.Background(), ev, func() *ast.Term { return ast.NewTerm(shapeFor(nil).value(ev)) })
				if err != nil {
					t.Fatal(err)
				}
				may := c.pre == nil || c.pre.mayMatch(ev)
				if matched && !may {
					t.Errorf("event %d (request %v, comm %s): OPA matches, the prefilter rejects", i, ev.Args[0].Value, ev.ProcessName)
				}
				if !may {
					rejected++
				}
			}
			if r.enabled && rejected == 0 {
				t.Errorf("the prefilter rejected nothing")
			}
		})
	}
}
