package signatures

import (
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// eventsWithoutLiveSource are selected by Tracee-compatible signatures but not produced by this
// agent's live source yet; replayed Tracee output still carries them.
var eventsWithoutLiveSource = map[string]bool{"magic_write": true, "module_load": true}

func TestAll_metadata_is_complete_and_unique(t *testing.T) {
	sigs := All()
	if len(sigs) < 30 {
		t.Errorf("%d signatures, the issue asks for at least 30", len(sigs))
	}
	live := map[string]bool{}
	for _, d := range domain.BaseEvents() {
		live[d.Name] = true
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for _, sig := range sigs {
		md, err := sig.GetMetadata()
		if err != nil {
			t.Fatalf("GetMetadata: %v", err)
		}
		t.Run(md.ID+"_"+md.EventName, func(t *testing.T) {
			if ids[md.ID] || names[md.EventName] {
				t.Errorf("duplicate ID %s or event name %s", md.ID, md.EventName)
			}
			ids[md.ID], names[md.EventName] = true, true
			if !strings.HasPrefix(md.ID, "TRC-") && !strings.HasPrefix(md.ID, "EXT-") {
				t.Errorf("ID %q: want TRC-n (Tracee's) or EXT-n (ours)", md.ID)
			}
			if md.Name == "" || md.Description == "" || md.Version == "" {
				t.Error("name, description and version are required")
			}
			sev, ok := md.Properties["Severity"].(int)
			if !ok || sev < 0 || sev > 4 {
				t.Errorf("Severity %v: want an int 0-4", md.Properties["Severity"])
			}
			for _, key := range []string{"Category", "Technique", "external_id"} {
				if s, _ := md.Properties[key].(string); s == "" {
					t.Errorf("property %s is missing", key)
				}
			}
			if id, _ := md.Properties["external_id"].(string); !strings.HasPrefix(id, "T1") {
				t.Errorf("external_id %q is not a MITRE ATT&CK technique ID", id)
			}
			sel, err := sig.GetSelectedEvents()
			if err != nil || len(sel) == 0 {
				t.Fatalf("GetSelectedEvents: %v, %d selectors", err, len(sel))
			}
			for _, s := range sel {
				if s.Source != "tracee" || s.Origin == "" {
					t.Errorf("selector %+v: want source tracee and an origin", s)
				}
				if !live[s.Name] && !eventsWithoutLiveSource[s.Name] {
					t.Errorf("selects %q, which is neither a base event nor a known Tracee event", s.Name)
				}
			}
		})
	}
}

func TestAll_returns_fresh_instances(t *testing.T) {
	a, b := All(), All()
	for i := range a {
		if a[i] == b[i] {
			t.Errorf("signature %d is shared between calls", i)
		}
	}
}

func TestAll_rejects_foreign_payloads_without_panicking(t *testing.T) {
	for _, sig := range All() {
		md, _ := sig.GetMetadata()
		t.Run(md.EventName, func(t *testing.T) {
			// For kernel_module_loading the event itself is the detection.
			bareEventIsFinding := md.EventName == "kernel_module_loading"
			if err := sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {
				if !bareEventIsFinding {
					t.Error("unexpected finding")
				}
			}}); err != nil {
				t.Fatal(err)
			}
			sel, _ := sig.GetSelectedEvents()
			pe := protocol.Event{Payload: "not an event"}
			pe.Headers.Selector.Name = sel[0].Name
			if err := sig.OnEvent(pe); err == nil {
				t.Error("want an error for a payload that is not a trace.Event")
			}
			// An event with the right name but no arguments at all must not be reported or panic.
			empty := event(sel[0].Name)
			if err := sig.OnEvent(empty.ToProtocol()); err != nil {
				t.Errorf("event without arguments: %v", err)
			}
			if err := sig.OnSignal(detect.SignalSourceComplete("tracee")); err != nil {
				t.Errorf("OnSignal: %v", err)
			}
			sig.Close()
		})
	}
}

// TestAll_loads_into_the_engine proves the set works with the domain engine as a plugin would.
func TestAll_loads_into_the_engine(t *testing.T) {
	loaded := domain.Builtin(All())
	loaded, problems := domain.DedupeSignatures(loaded)
	if len(problems) > 0 {
		t.Fatalf("dedupe: %v", problems)
	}
	catalog := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
	var got []string
	engine, problems := domain.NewEngine(domain.EngineConfig{}, loaded, catalog, func(ev *trace.Event) {
		got = append(got, ev.EventName)
	}, nil)
	if len(problems) > 0 {
		t.Fatalf("engine: %v", problems)
	}
	defer engine.Close()
	ev := ptraceEvent(0)
	engine.Dispatch(&ev)
	if len(got) != 1 || got[0] != "anti_debugging" {
		t.Fatalf("findings %v, want [anti_debugging]", got)
	}
}

// BenchmarkSet_benign_events measures the whole set behind the domain engine on everyday events:
// every signature that selects the event runs, none reports. The engine boxes each event once.
func BenchmarkSet_benign_events(b *testing.B) {
	loaded := domain.Builtin(All())
	catalog := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
	engine, problems := domain.NewEngine(domain.EngineConfig{}, loaded, catalog, func(ev *trace.Event) { b.Fatalf("finding %s", ev.EventName) }, nil)
	if len(problems) > 0 {
		b.Fatal(problems)
	}
	defer engine.Close()
	env := []string{"PATH=/usr/bin", "HOME=/root", "LANG=C.UTF-8", "TERM=xterm", "SHELL=/bin/bash", "USER=root", "PWD=/root"}
	for _, c := range []struct {
		name string
		ev   trace.Event
	}{
		{"security_file_open", openEvent("/usr/lib/x86_64-linux-gnu/libc.so.6", rdOnly)},
		{"security_file_open_write", openEvent("/tmp/build/out.o", wrTrnc)},
		{"sched_process_exec", execAs("ls", 300, "/usr/bin/ls", 0o020000)},
		{"sched_process_exec_with_env", func() trace.Event {
			e := execEvent("/usr/bin/ls", []string{"ls", "-l"}, env)
			return withProc(e, "ls", 300)
		}()},
	} {
		b.Run(c.name, func(b *testing.B) {
			ev := c.ev
			b.ReportAllocs()
			for b.Loop() {
				engine.Dispatch(&ev)
			}
		})
	}
}

// TestAll_declare_their_open_interest: every built-in signature that selects security_file_open
// says which opens it can match, so that with the default signatures the kernel drops the rest
// (domain.OpenInterestOf is ok); the interests are checked against every firing test case by
// checkOpenInterest.
func TestAll_declare_their_open_interest(t *testing.T) {
	loaded := domain.Builtin(All())
	for _, ls := range loaded {
		sig, md := ls.Signature, ls.Info.Metadata
		for _, s := range ls.Info.Selectors {
			if s.Name != evFileOpen {
				continue
			}
			oi, ok := sig.(domain.OpenInterested)
			if !ok {
				t.Errorf("%s selects security_file_open without OpenInterest", md.ID)
				continue
			}
			if interest, declared := oi.OpenInterest(); !declared || interest.Empty() {
				t.Errorf("%s selects security_file_open but declares no interest (%+v, %v)", md.ID, interest, declared)
			}
		}
	}
	cat := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
	sel, err := domain.Select(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	interest, ok := domain.OpenInterestOf(loaded, sel)
	if !ok {
		t.Fatal("the default signatures send every open: OpenInterestOf is not ok")
	}
	// A read-only open of an ordinary file is what the filter is for.
	if interest.Admits(domain.OpenFacts{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Raw: "/lib/x86_64-linux-gnu/libc.so.6"}) {
		t.Errorf("the default interest keeps a read of libc: %+v", interest)
	}
	if !interest.Admits(domain.OpenFacts{Path: "/etc/shadow", Raw: "/etc/shadow"}) {
		t.Errorf("the default interest drops a read of /etc/shadow: %+v", interest)
	}
}

// TestAll_declare_their_magic_interest: every built-in signature that selects magic_write says
// which writes it can match, so that with the default signatures the kernel drops the rest
// (domain.MagicInterestOf is ok); the interests are checked against every firing test case by
// checkMagicInterest.
func TestAll_declare_their_magic_interest(t *testing.T) {
	loaded := domain.Builtin(All())
	selecting := 0
	for _, ls := range loaded {
		for _, s := range ls.Info.Selectors {
			if s.Name != "magic_write" {
				continue
			}
			selecting++
			mi, ok := ls.Signature.(domain.MagicInterested)
			if !ok {
				t.Errorf("%s selects magic_write without MagicInterest", ls.Info.Metadata.ID)
				continue
			}
			if interest, declared := mi.MagicInterest(); !declared || interest.Empty() {
				t.Errorf("%s selects magic_write but declares no interest (%+v, %v)", ls.Info.Metadata.ID, interest, declared)
			}
		}
	}
	if selecting == 0 {
		t.Fatal("no built-in signature selects magic_write")
	}
	cat := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
	sel, err := domain.Select(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	interest, ok := domain.MagicInterestOf(loaded, sel)
	if !ok {
		t.Fatal("the default signatures send every magic_write: MagicInterestOf is not ok")
	}
	for _, tt := range []struct {
		bytes string
		want  bool
	}{
		{"\x7fELF\x02\x01\x01", true},
		{"\x00", false}, // dd bs=1
		{"#!/bin/sh\n", false},
	} {
		if got := interest.Admits(domain.MagicFacts{Bytes: []byte(tt.bytes)}); got != tt.want {
			t.Errorf("the default interest %q admits a write of %q: %v, want %v", interest.Prefixes, tt.bytes, got, tt.want)
		}
	}
}
