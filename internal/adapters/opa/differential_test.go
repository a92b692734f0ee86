package opa

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The differential tests compare the production path (input built as ast.Value, only the keys
// read, partially evaluated queries run by topdown, results converted in one pass) with the
// plain one: the event as Tracee's JSON (plus input.data, the arguments by name), OPA's rego
// API on the full query, and its JSON results.

// jsonInput is ev as the plain path sees it: Tracee's JSON document plus input.data, with the
// conventions the input document has always kept where Tracee's JSON differs: empty container
// and kubernetes fields are present (""/false) rather than omitted, nil lists are [] rather
// than null or omitted, and metadata is null rather than omitted.
func jsonInput(t *testing.T, ev *trace.Event, extra map[string]interface{}) map[string]interface{} {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]interface{}
	if err := util.UnmarshalJSON(b, &doc); err != nil {
		t.Fatal(err)
	}
	data := map[string]interface{}{}
	args, _ := doc["args"].([]interface{})
	for _, a := range args {
		arg := a.(map[string]interface{})
		data[arg["name"].(string)] = arg["value"]
	}
	doc["data"] = data
	for _, k := range []string{"args", "stackAddresses", "matchedPolicies"} {
		if doc[k] == nil {
			doc[k] = []interface{}{}
		}
	}
	if _, ok := doc["metadata"]; !ok {
		doc["metadata"] = nil
	}
	defaults := map[string]map[string]interface{}{
		"container":  {"id": "", "name": "", "image": "", "imageDigest": ""},
		"kubernetes": {"podName": "", "podNamespace": "", "podUID": "", "podSandbox": false},
	}
	for field, keys := range defaults {
		obj, _ := doc[field].(map[string]interface{})
		if obj == nil {
			obj = map[string]interface{}{}
			doc[field] = obj
		}
		for k, v := range keys {
			if _, ok := obj[k]; !ok {
				obj[k] = v
			}
		}
	}
	for k, v := range extra {
		doc[k] = v
	}
	return doc
}

// plainEval evaluates query with OPA's rego API as documented: no partial evaluation, JSON input.
func plainEval(t *testing.T, comp *ast.Compiler, query string, input map[string]interface{}) (interface{}, bool) {
	t.Helper()
	caps, _ := capabilities()
	rs, err := rego.New(rego.Compiler(comp), rego.Capabilities(caps), rego.Query(query), rego.Input(input)).Eval(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, false
	}
	return normalizeNumbers(rs[0].Expressions[0].Value), true
}

// differentialEvents are the replay fixtures and ptrace events with every argument type.
func differentialEvents(t *testing.T) []trace.Event {
	t.Helper()
	var events []trace.Event
	for _, path := range []string{"../../../cmd/tracee/testdata/replay/tracee-v0.24.1.jsonl", "../../../cmd/tracee/testdata/replay/sample.jsonl", "../../../policies/testdata/replay.jsonl"} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) {
				continue // the fixtures hold broken lines on purpose
			}
			events = append(events, decodeFixture(t, path, sc.Bytes()))
		}
		_ = f.Close()
	}
	for _, req := range []interface{}{int64(0), int64(16), "PTRACE_TRACEME", "PTRACE_POKETEXT", uint64(1 << 40), 16.0, nil, []string{"a", "b"}, []byte("\x7fELF")} {
		for _, comm := range []string{"gdb", "evil"} {
			ev := ptraceEvent("")
			ev.Args[0].Value = req
			ev.ProcessName = comm
			if comm == "gdb" {
				ev.Executable.Path = "/usr/bin/gdb"
				ev.Args[1].Value = int32(7)
				ev.Container = trace.Container{ID: "abc", ImageName: "alpine"}
			}
			events = append(events, ev)
		}
	}
	if len(events) < 30 {
		t.Fatalf("only %d events", len(events))
	}
	return events
}

// decodeFixture decodes a replay line; arguments of types Tracee's decoder refuses (the replay
// source retypes them from the event catalog) become int64 or string, or are dropped.
func decodeFixture(t *testing.T, path string, line []byte) trace.Event {
	t.Helper()
	var ev trace.Event
	if json.Unmarshal(line, &ev) == nil {
		return ev
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var args []map[string]interface{}
	if err := json.Unmarshal(doc["args"], &args); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	kept := args[:0]
	for _, a := range args {
		b, _ := json.Marshal(a)
		var arg trace.Argument
		if json.Unmarshal(b, &arg) != nil {
			switch a["value"].(type) {
			case float64:
				a["type"] = "int64"
			case string:
				a["type"] = "string"
			default:
				continue
			}
		}
		kept = append(kept, a)
	}
	doc["args"], _ = json.Marshal(kept)
	fixed, _ := json.Marshal(doc)
	if err := json.Unmarshal(fixed, &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev
}

// differentialRules add, to the prefilter's rule forms, results with data and numbers, partial
// sets, function calls, iteration and reads of the whole input.
var differentialRules = []string{
	`tracee_match := {"request": input.data.request, "pid": input.data.pid, "n": 1.5, "big": 12345678901} if input.eventName == "ptrace"`,
	`tracee_match := {"comm": input.processName, "image": input.container.image} if input.container.id != ""`,
	`tracee_match contains input.processName if input.data.pid == 7`,
	`tracee_match if { some a in input.args; a.name == "request"; a.value == 0 }`,
	`tracee_match := count([a | some a in input.args; a.type == "void*"])`,
	`tracee_match := object.get(input, ["executable", "path"], "none") if input.hostProcessId > 0`,
	"import data.tracee.helpers\ntracee_match := {\"elf\": helpers.is_elf_file(helpers.get_tracee_argument(\"request\"))} if input.eventName == \"ptrace\"",
	"tracee_match := \"fork\" if input.eventName == \"sched_process_fork\"\nelse := \"exec\" if input.eventName == \"sched_process_exec\"",
	`tracee_match := input.data if input.eventName == "security_file_open"`,
	`tracee_match := {"ids": [input.eventId, input.cgroupId, input.mountNamespace], "stack": input.stackAddresses}`,
	`tracee_match := {"c": input.container, "k": input.kubernetes, "f": input.contextFlags, "p": input.matchedPolicies} if input.processName == "gdb"`,
	`tracee_match := {"m": input.metadata, "x": input.executable} if not input.container.id`,
	`tracee_match := sprintf("%v", [input.args]) if input.returnValue == 0`,
	"f(x) := input.container[x]\ntracee_match := f(\"image\") if input.eventName == \"ptrace\"",
	"is_gdb if input.processName == \"gdb\"\ntracee_match := {\"renamed\": true} if { is_gdb with input.processName as input.executable.path }",
	"tracee_match := {\"k\": k, \"v\": v} if { some k, v in input.data; k == \"pid\" }",
	"tracee_match := json.marshal(input.executable) if input.userId == 1000",
	// answered directly (direct.go): comparisons with constants, values of input fields
	"tracee_match := {\"c\": input.container.id, \"p\": [input.processName, input.data.pid, 1]} if {\n\tinput.eventName in {\"ptrace\", \"openat\"}\n\tinput.data.request != 16\n}",
	"tracee_match contains \"gdb\" if input.processName == \"gdb\"\ntracee_match contains input.data.request if input.data.pid in [0, 7]",
	"tracee_match := input.data.request if input.data.request == 16.0\ntracee_match := input.data.request if input.data.request in {16, \"PTRACE_TRACEME\"}",
}

func TestRegoSignature_matches_the_plain_JSON_evaluation(t *testing.T) {
	events := differentialEvents(t)
	var matches []string
	for _, r := range matchRuleForms {
		matches = append(matches, r.match)
	}
	matches = append(matches, differentialRules...)
	matches = append(matches, "") // the test signatures below
	for i, match := range matches {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			var dir string
			if match == "" {
				dir = "testdata/signatures"
			} else {
				dir = t.TempDir()
				writeSig(t, dir, "s.rego", match)
			}
			res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
			if len(res.Signatures) == 0 {
				t.Fatal(res.Problems)
			}
			for _, loaded := range res.Signatures {
				sig := loaded.Signature.(*regoSignature)
				c := sig.cur.Load()
				mod, err := parseModule(sig.path, c.source)
				if err != nil {
					t.Fatal(err)
				}
				comp, err := compile(map[string]*ast.Module{sig.path: mod})
				if err != nil {
					t.Fatal(err)
				}
				query := mod.Package.Path.String() + "." + ruleMatch
				var got []*detect.Finding
				if err := sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) { got = append(got, f) }}); err != nil {
					t.Fatal(err)
				}
				for j := range events {
					ev := &events[j]
					got = got[:0]
					if err := sig.OnEvent(ev.ToProtocol()); err != nil {
						t.Fatalf("event %d: %v", j, err)
					}
					v, defined := plainEval(t, comp, query, jsonInput(t, ev, nil))
					want, wantMatch := interpretPlain(v, defined)
					if (len(got) > 0) != wantMatch {
						t.Fatalf("%s, event %d (%s): finding %v, plain evaluation %v (%v)", c.meta.ID, j, ev.EventName, len(got) > 0, wantMatch, v)
					}
					if wantMatch && !reflect.DeepEqual(got[0].Data, want) {
						t.Fatalf("%s, event %d (%s): data %#v, plain evaluation %#v", c.meta.ID, j, ev.EventName, got[0].Data, want)
					}
				}
			}
		})
	}
}

// interpretPlain is how a tracee_match value read through the rego API became a finding.
func interpretPlain(v interface{}, defined bool) (map[string]interface{}, bool) {
	switch x := v.(type) {
	case bool:
		return nil, x
	case map[string]interface{}:
		return x, true
	case nil:
		return nil, false
	}
	if !defined {
		return nil, false
	}
	return map[string]interface{}{"value": v}, true
}

// plainDecision is the generated package the finding policies were read through before: every
// decision with its default, in one query.
const plainDecision = `package plain_decision

default suppress := false

suppress := x if x := data.tracee.findings.suppress

default severity := null

severity := x if x := data.tracee.findings.severity

default tags := []

tags := x if x := data.tracee.findings.tags

default fields := {}

fields := x if x := data.tracee.findings.fields
`

func TestFindingEvaluator_matches_the_plain_JSON_evaluation(t *testing.T) {
	var triggers []trace.Event
	for _, ev := range differentialEvents(t) {
		triggers = append(triggers, ev)
		ev.UserID = 1000
		ev.Container = trace.Container{ID: "c1", ImageName: "nginx"}
		triggers = append(triggers, ev)
	}
	other := t.TempDir()
	writeFiles(t, other, map[string]string{
		"a.rego": `package tracee.findings

suppress if input.processName == "bash"

severity contains 1 if input.container.id != ""

severity contains 2 if input.userId == 1000

fields[k] := v if {
	some k in ["comm", "exe"]
	v := {"comm": input.processName, "exe": input.executable.path}[k]
}

fields.nested.image := input.container.image
`,
		"b.rego": `package tracee.findings

tags contains t if some t in input.signature.tags

tags contains sprintf("uid-%d", [input.userId])
`,
	})
	objectFields := t.TempDir()
	writeFiles(t, objectFields, map[string]string{"c.rego": `package tracee.findings

fields := {"image": input.container.image, "sev": input.signature.severity} if input.container.id != ""
`})
	for _, dir := range []string{"../../../policies/findings", "testdata/findings", other, objectFields} {
		t.Run(dir, func(t *testing.T) {
			e, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			files, problems, _ := readRego(context.Background(), []string{dir}, newTrustRule(false))
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			modules := map[string]*ast.Module{}
			for _, f := range files {
				modules[f.path] = f.mod
			}
			modules["plain_decision.rego"] = ast.MustParseModuleWithOpts(plainDecision, ast.ParserOptions{RegoVersion: ast.RegoV1})
			comp, err := compile(modules)
			if err != nil {
				t.Fatal(err)
			}
			for _, sigID := range []string{"TRC-103", "TRC-1014", "TRC-102"} {
				for i := range triggers {
					got := finding(sigID, triggers[i])
					want := finding(sigID, triggers[i])
					gotVerdict, err := e.EvaluateFinding(context.Background(), got)
					if err != nil {
						t.Fatal(err)
					}
					props := want.Metadata.Properties
					signature := map[string]interface{}{
						"id": domain.PropertyString(props, "signatureID"), "name": domain.PropertyString(props, "signatureName"),
						"eventName": want.EventName, "severity": domain.PropertyInt(props, "Severity"),
						"tags": want.Metadata.Tags, "properties": props,
					}
					d, _ := plainEval(t, comp, "data.plain_decision", jsonInput(t, want, map[string]interface{}{"signature": signature}))
					var decisions [len(decisionNames)]interface{}
					for i, name := range decisionNames {
						decisions[i] = d.(map[string]interface{})[name]
					}
					wantVerdict, err := apply(decisions, want)
					if err != nil {
						t.Fatal(err)
					}
					if gotVerdict != wantVerdict || !reflect.DeepEqual(got.Metadata, want.Metadata) {
						t.Fatalf("%s on trigger %d (%s): verdict %+v metadata %+v; plain evaluation: %+v %+v",
							sigID, i, triggers[i].ProcessName, gotVerdict, got.Metadata, wantVerdict, want.Metadata)
					}
				}
			}
		})
	}
}
