package opa

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// finding builds the signature event the engine emits for a finding of sigID on trigger.
func finding(sigID string, trigger trace.Event) *trace.Event {
	sharedTags := []string{"linux"}
	f := &detect.Finding{
		Data:  map[string]interface{}{"pid": 42},
		Event: protocol.Event{Payload: trigger},
		SigMetadata: detect.SignatureMetadata{ID: sigID, Name: "Code injection", EventName: "ptrace_code_injection",
			Tags: sharedTags[:1:1], Properties: map[string]interface{}{"Severity": 3}},
	}
	ev := domain.FindingToEvent(f, 6003)
	return &ev
}

// newEvaluatorFunc builds an evaluator from Rego files (name -> content) in a fresh directory.
type newEvaluatorFunc func(t *testing.T, files map[string]string) ports.PolicyEvaluator

// runPolicyEvaluatorContract is what every ports.PolicyEvaluator must do with the finding
// policies of docs/policies.md.
func runPolicyEvaluatorContract(t *testing.T, newEvaluator newEvaluatorFunc) {
	gdb := trace.Event{EventName: "ptrace", ProcessName: "gdb", UserID: 1000, Executable: trace.File{Path: "/usr/bin/gdb"}}
	evil := trace.Event{EventName: "ptrace", ProcessName: "evil", UserID: 0, Executable: trace.File{Path: "/tmp/evil"},
		Container: trace.Container{ID: "abc"}}
	policy := map[string]string{"exceptions.rego": `package tracee.findings

suppress contains "debugger may ptrace" if {
	input.signature.id == "TRC-103"
	input.processName in {"gdb", "strace", "lldb"}
	startswith(input.executable.path, "/usr/bin/")
}

severity := 4 if input.container.id != ""

tags contains "container" if input.container.id != ""

fields.owner := "team-a" if input.userId == 1000
`}
	tests := []struct {
		name         string
		files        map[string]string
		ev           *trace.Event
		wantSuppress string // reason substring; empty: kept
		wantSeverity int
		wantTags     []string
		wantFields   map[string]interface{}
	}{
		{name: "no policy keeps the finding as is", files: nil, ev: finding("TRC-103", gdb), wantSeverity: 3, wantTags: []string{"linux"}},
		{name: "exception suppresses with its reason", files: policy, ev: finding("TRC-103", gdb), wantSuppress: "debugger may ptrace"},
		{name: "exception does not cover other signatures", files: policy, ev: finding("TRC-999", gdb), wantSeverity: 3,
			wantTags: []string{"linux"}, wantFields: map[string]interface{}{"owner": "team-a"}},
		{name: "severity and tags change", files: policy, ev: finding("TRC-103", evil), wantSeverity: 4, wantTags: []string{"linux", "container"}},
		{name: "several files contribute", files: map[string]string{
			"a.rego": "package tracee.findings\ntags contains \"a\" if true\n",
			"b.rego": "package tracee.findings\ntags contains \"b\" if true\ntags contains \"linux\" if true\n",
		}, ev: finding("TRC-103", evil), wantSeverity: 3, wantTags: []string{"linux", "a", "b"}},
		{name: "boolean suppress", files: map[string]string{"s.rego": "package tracee.findings\nsuppress if input.signature.severity < 4\n"},
			ev: finding("TRC-103", evil), wantSuppress: "suppressed by a finding policy"},
		{name: "other packages are ignored", files: map[string]string{"o.rego": "package other\nsuppress if true\n"},
			ev: finding("TRC-103", evil), wantSeverity: 3, wantTags: []string{"linux"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEvaluator(t, tt.files)
			before := tt.ev.Metadata
			beforeTags := append([]string(nil), before.Tags...)
			v, err := e.EvaluateFinding(context.Background(), tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantSuppress != "" {
				if !v.Suppress || !strings.Contains(v.Reason, tt.wantSuppress) {
					t.Fatalf("verdict = %+v, want suppressed with %q", v, tt.wantSuppress)
				}
				return
			}
			if v.Suppress {
				t.Fatalf("suppressed: %+v", v)
			}
			md := tt.ev.Metadata
			if got := domain.PropertyInt(md.Properties, "Severity"); got != tt.wantSeverity {
				t.Errorf("severity = %d, want %d", got, tt.wantSeverity)
			}
			if strings.Join(md.Tags, ",") != strings.Join(tt.wantTags, ",") {
				t.Errorf("tags = %v, want %v", md.Tags, tt.wantTags)
			}
			for k, want := range tt.wantFields {
				if md.Properties[k] != want {
					t.Errorf("field %s = %v, want %v", k, md.Properties[k], want)
				}
			}
			if strings.Join(before.Tags, ",") != strings.Join(beforeTags, ",") {
				t.Errorf("the original metadata was modified: %v", before.Tags)
			}
		})
	}
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindingEvaluator_contract(t *testing.T) {
	runPolicyEvaluatorContract(t, func(t *testing.T, files map[string]string) ports.PolicyEvaluator {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		// a YAML policy next to the Rego ones is not read here
		writeFiles(t, dir, map[string]string{"policy.yaml": "not: rego\n"})
		e, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	})
}

func TestNewFindingEvaluator_reports_broken_policy_with_line(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bad.rego": "package tracee.findings\n\nsuppress contains x if {\n\tinput.processName ==\n}\n"})
	_, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
	if err == nil || !strings.Contains(err.Error(), "bad.rego: line 5") {
		t.Fatalf("err = %v", err)
	}
}

func TestFindingEvaluator_Reload_keeps_old_version_when_broken(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.rego": "package tracee.findings\ntags contains \"v1\" if true\n"})
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tagOf := func() string {
		ev := finding("TRC-1", trace.Event{})
		if _, err := e.EvaluateFinding(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		return ev.Metadata.Tags[len(ev.Metadata.Tags)-1]
	}
	writeFiles(t, dir, map[string]string{"p.rego": "package tracee.findings\ntags contains \"v2\" if true\n"})
	if err := e.Reload(context.Background()); err != nil || tagOf() != "v2" || e.Generation() != 2 {
		t.Fatalf("reload: %v, tag %s", err, tagOf())
	}
	writeFiles(t, dir, map[string]string{"p.rego": "package tracee.findings\ntags contains \"v3\" if\n"})
	err = e.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "previous version keeps running") || !strings.Contains(err.Error(), "p.rego: line") {
		t.Fatalf("broken reload: %v", err)
	}
	if tagOf() != "v2" || e.Generation() != 2 {
		t.Fatal("a broken reload must keep the running version")
	}
}

// TestFindingEvaluator_Reload_under_load evaluates findings from two goroutines while a third
// swaps versions (some broken): every finding is judged exactly once, by exactly one version.
func TestFindingEvaluator_Reload_under_load(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.rego": "package tracee.findings\ntags contains \"v0\" if true\n"})
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const perWorker = 5000
	var stop atomic.Bool
	var reloads, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := 1; !stop.Load(); v++ {
			src := "package tracee.findings\ntags contains \"v" + strconv.Itoa(v) + "\" if true\n"
			if v%5 == 0 {
				src = "package tracee.findings\ntags contains if\n" // broken: keeps the previous version
			}
			writeFiles(t, dir, map[string]string{"p.rego": src})
			if err := e.Reload(context.Background()); err != nil {
				failed.Add(1)
			} else {
				reloads.Add(1)
			}
		}
	}()
	var evaluated atomic.Int64
	var workers sync.WaitGroup
	for w := 0; w < 2; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := 0; i < perWorker; i++ {
				ev := finding("TRC-1", trace.Event{})
				if _, err := e.EvaluateFinding(context.Background(), ev); err != nil {
					t.Error(err)
					return
				}
				versions := 0
				for _, tag := range ev.Metadata.Tags {
					if strings.HasPrefix(tag, "v") {
						versions++
					}
				}
				if versions != 1 {
					t.Errorf("finding judged by %d versions: %v", versions, ev.Metadata.Tags)
					return
				}
				evaluated.Add(1)
			}
		}()
	}
	workers.Wait()
	stop.Store(true)
	wg.Wait()
	if evaluated.Load() != 2*perWorker {
		t.Fatalf("evaluated %d findings, want %d", evaluated.Load(), 2*perWorker)
	}
	t.Logf("%d reloads, %d broken reloads refused during %d evaluations", reloads.Load(), failed.Load(), evaluated.Load())
}
