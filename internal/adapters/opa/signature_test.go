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
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func ptraceEvent(request string) trace.Event {
	return trace.Event{EventName: "ptrace", EventID: 101, ProcessName: "evil", HostProcessID: 42, UserID: 1000,
		Executable: trace.File{Path: "/tmp/evil"},
		Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "request", Type: "long"}, Value: request},
			{ArgMeta: trace.ArgMeta{Name: "pid", Type: "pid_t"}, Value: int32(0)},
			{ArgMeta: trace.ArgMeta{Name: "addr", Type: "void*"}, Value: uint64(0)},
			{ArgMeta: trace.ArgMeta{Name: "data", Type: "void*"}, Value: uint64(0)},
		}}
}

func loadTestSignatures(t testing.TB) (*SignatureLoader, domain.LoadResult) {
	t.Helper()
	l := NewSignatureLoader(nil)
	return l, l.Load(context.Background(), []string{"testdata/signatures", "testdata/does-not-exist"})
}

func byID(t testing.TB, res domain.LoadResult, id string) domain.LoadedSignature {
	t.Helper()
	for _, s := range res.Signatures {
		if s.Info.Metadata.ID == id {
			return s
		}
	}
	t.Fatalf("signature %s not loaded; problems: %v", id, res.Problems)
	return domain.LoadedSignature{}
}

func TestSignatureLoader_loads_good_files_and_reports_bad_ones(t *testing.T) {
	_, res := loadTestSignatures(t)
	if len(res.Signatures) != 2 {
		t.Fatalf("loaded %d signatures, want 2; problems %v", len(res.Signatures), res.Problems)
	}
	v1 := byID(t, res, "REGO-102")
	md := v1.Info.Metadata
	if md.EventName != "rego_anti_debugging" || md.Version != "1.0.0" || len(md.Tags) != 2 ||
		domain.PropertyInt(md.Properties, "Severity") != 3 || v1.Info.Origin != filepath.Join("testdata", "signatures", "anti_debugging.rego") {
		t.Errorf("metadata = %+v origin %s", md, v1.Info.Origin)
	}
	if len(v1.Info.Selectors) != 1 || v1.Info.Selectors[0] != (detect.SignatureEventSelector{Source: "tracee", Name: "ptrace", Origin: "*"}) {
		t.Errorf("selectors = %+v", v1.Info.Selectors)
	}
	byID(t, res, "REGO-103") // Tracee's v0 syntax loads too

	want := map[string]string{
		"broken.rego": "line 9, column 1: unexpected } token", // syntax error with line
		"unsafe.rego": "line 8, column 2: var x is unsafe",    // compile error with line and cause
	}
	if len(res.Problems) != len(want) {
		t.Fatalf("problems = %v", res.Problems)
	}
	for _, p := range res.Problems {
		sub, ok := want[filepath.Base(p.Path)]
		if !ok || !strings.Contains(p.Cause, sub) {
			t.Errorf("problem %s: want cause containing %q", p, sub)
		}
	}
}

func TestRegoSignature_OnEvent_reports_findings(t *testing.T) {
	_, res := loadTestSignatures(t)
	tests := []struct {
		id, request string
		want        bool
		data        map[string]interface{}
	}{
		{"REGO-102", "PTRACE_TRACEME", true, map[string]interface{}{"ptrace_request": "PTRACE_TRACEME"}},
		{"REGO-102", "PTRACE_ATTACH", false, nil},
		{"REGO-103", "PTRACE_POKETEXT", true, nil},
		{"REGO-103", "PTRACE_TRACEME", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.request, func(t *testing.T) {
			sig := byID(t, res, tt.id).Signature
			var got []*detect.Finding
			if err := sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) { got = append(got, f) }}); err != nil {
				t.Fatal(err)
			}
			if err := sig.OnEvent(ptraceEvent(tt.request).ToProtocol()); err != nil {
				t.Fatal(err)
			}
			if (len(got) == 1) != tt.want {
				t.Fatalf("findings = %d, want match %v", len(got), tt.want)
			}
			if tt.want {
				f := got[0]
				if f.SigMetadata.ID != tt.id || len(f.Data) != len(tt.data) {
					t.Fatalf("finding = %+v", f)
				}
				for k, v := range tt.data {
					if f.Data[k] != v {
						t.Errorf("data[%s] = %v, want %v", k, f.Data[k], v)
					}
				}
			}
		})
	}
}

func TestRegoSignature_in_the_engine(t *testing.T) {
	_, res := loadTestSignatures(t)
	cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), domain.BaseEvents())
	var emitted []trace.Event
	eng, problems := domain.NewEngine(domain.EngineConfig{}, res.Signatures, cat, func(ev *trace.Event) { emitted = append(emitted, *ev) }, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	ev := ptraceEvent("PTRACE_TRACEME")
	eng.Dispatch(&ev)
	if len(emitted) != 1 || emitted[0].EventName != "rego_anti_debugging" || emitted[0].ProcessName != "evil" {
		t.Fatalf("emitted = %+v", emitted)
	}
}

func writeSig(t *testing.T, dir, name, match string) {
	t.Helper()
	src := "package sigs." + strings.TrimSuffix(name, ".rego") + `

__rego_metadoc__ := {"id": "` + name + `", "eventName": "` + strings.TrimSuffix(name, ".rego") + `"}

tracee_selected_events contains {"name": "ptrace"}

` + match + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSignatureLoader_Reload(t *testing.T) {
	dir := t.TempDir()
	writeSig(t, dir, "a.rego", `tracee_match := {"v": 1} if input.eventName == "ptrace"`)
	l := NewSignatureLoader(nil)
	res := l.Load(context.Background(), []string{dir})
	if len(res.Signatures) != 1 {
		t.Fatal(res.Problems)
	}
	sig := res.Signatures[0].Signature
	version := func() interface{} {
		var v interface{}
		_ = sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) { v = f.Data["v"] }})
		_ = sig.OnEvent(ptraceEvent("x").ToProtocol())
		return v
	}
	if version() != 1 {
		t.Fatal("v1 not running")
	}

	writeSig(t, dir, "a.rego", `tracee_match := {"v": 2} if input.eventName == "ptrace"`)
	if rep, err := l.Reload(context.Background()); err != nil || len(rep.Swapped) != 1 {
		t.Fatalf("reload: %v %+v", err, rep)
	}
	if version() != 2 {
		t.Fatal("v2 not running after reload")
	}

	writeSig(t, dir, "a.rego", `tracee_match := {"v": 3} if input.eventName ==`)
	rep, err := l.Reload(context.Background())
	if err == nil || len(rep.Kept) != 1 || !strings.Contains(err.Error(), "a.rego: line 8, column 0: unexpected eof") {
		t.Fatalf("broken reload: %v %+v", err, rep)
	}
	if version() != 2 {
		t.Fatal("a broken new version must keep the old one running")
	}

	src, _ := os.ReadFile(filepath.Join(dir, "a.rego"))
	changed := strings.Replace(string(src), `{"name": "ptrace"}`, `{"name": "setuid"}`, 1)
	changed = strings.Replace(changed, `{"v": 3} if input.eventName ==`, `{"v": 4} if input.eventName == "ptrace"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "a.rego"), []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("changing selected events must ask for a restart: %v", err)
	}
	if version() != 2 {
		t.Fatal("selected events changed: the old version must keep running")
	}
}

// TestSignatureLoader_Reload_under_load swaps versions while events flow: every event is
// evaluated exactly once, by one version.
func TestSignatureLoader_Reload_under_load(t *testing.T) {
	dir := t.TempDir()
	writeSig(t, dir, "a.rego", `tracee_match := {"v": 0} if input.eventName == "ptrace"`)
	writeSig(t, dir, "b.rego", `tracee_match if input.eventName == "never"`) // shares the input cache
	l := NewSignatureLoader(nil)
	res := l.Load(context.Background(), []string{dir})
	sig := res.Signatures[0].Signature
	counts := map[int]int{}
	total := 0
	_ = sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) {
		counts[f.Data["v"].(int)]++
		total++
	}})
	const events = 20000
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := 1; !done.Load(); v++ {
			writeSig(t, dir, "a.rego", `tracee_match := {"v": `+strconv.Itoa(v)+`} if input.eventName == "ptrace"`)
			if _, err := l.Reload(context.Background()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	ev := ptraceEvent("x")
	for i := 0; i < events; i++ {
		if err := sig.OnEvent(ev.ToProtocol()); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	if total != events {
		t.Fatalf("%d findings for %d events", total, events)
	}
	t.Logf("%d events evaluated by %d versions", total, len(counts))
}

func TestSignatureLoader_derives_a_missing_eventName(t *testing.T) {
	dir := t.TempDir()
	src := `package tracee.TRC_OLD

__rego_metadoc__ := {"id": "TRC-OLD", "name": "Anti-Debugging (old)"}

tracee_selected_events[s] {
	s := {"source": "tracee", "name": "ptrace"}
}

tracee_match {
	input.eventName == "ptrace"
}
`
	if err := os.WriteFile(filepath.Join(dir, "old.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
	if len(res.Signatures) != 1 || res.Signatures[0].Info.Metadata.EventName != "anti_debugging_old" {
		t.Fatalf("signatures %+v problems %v", res.Signatures, res.Problems)
	}
}
