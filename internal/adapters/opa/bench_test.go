package opa

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/signatures"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// BenchmarkRego_goals measures, in one run, the three figures the Rego goals are stated in: an
// event a Rego signature rejects, an event it matches (a finding), and the shipped finding
// policies on one finding. Compare ns/op (and cpu-ns/op) with the goals on a quiet machine;
// allocs/op do not depend on the load.
func BenchmarkRego_goals(b *testing.B) {
	_, res := loadTestSignatures(b)
	sig := byID(b, res, "REGO-102").Signature
	b.Run("rejection", func(b *testing.B) { benchOnEvent(b, sig, ptraceEvent("PTRACE_ATTACH")) })
	b.Run("match", func(b *testing.B) { benchOnEvent(b, sig, ptraceEvent("PTRACE_TRACEME")) })
	b.Run("finding-policy", benchFindingPolicy)
}

// BenchmarkRegoSignature_OnEvent is the per-event cost of one Rego signature, the figure Tracee
// measured at 37.9 us: an event the rule inspects and rejects (the common case) and one it matches.
func BenchmarkRegoSignature_OnEvent(b *testing.B) {
	_, res := loadTestSignatures(b)
	for _, tc := range []struct{ name, id, request string }{
		{"v1/no-match", "REGO-102", "PTRACE_ATTACH"},
		{"v1/match", "REGO-102", "PTRACE_TRACEME"},
		{"v0-tracee/no-match", "REGO-103", "PTRACE_ATTACH"},
		{"v0-tracee/match", "REGO-103", "PTRACE_POKETEXT"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchOnEvent(b, byID(b, res, tc.id).Signature, ptraceEvent(tc.request))
		})
	}
}

func benchOnEvent(b *testing.B, sig detect.Signature, ev trace.Event) {
	_ = sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {}})
	b.ReportAllocs()
	// A different payload per iteration, as every event the engine dispatches is its own, but
	// boxed beforehand: the engine hands signatures the event itself, without a copy
	// (domain.Engine.Dispatch), so boxing is not a per-event cost of the signature.
	payloads := make([]protocol.Event, 1024)
	for i := range payloads {
		payloads[i] = ev.ToProtocol()
	}
	cpu := startCPU()
	i := 0
	for b.Loop() {
		if err := sig.OnEvent(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	cpu.report(b)
}

// BenchmarkRegoInput is the cost of building the input document alone.
func BenchmarkRegoInput(b *testing.B) {
	ev := ptraceEvent("PTRACE_TRACEME")
	for _, tc := range []struct {
		name  string
		shape inputShape
	}{
		{"args-and-eventName", shapeFor(fieldSet{"args": nil, "eventName": nil})},
		{"whole-event", shapeFor(nil)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				_ = tc.shape.value(&ev)
			}
			cpu.report(b)
		})
	}
}

// BenchmarkRegoEval_only separates OPA's evaluation from the input building.
func BenchmarkRegoEval_only(b *testing.B) {
	_, res := loadTestSignatures(b)
	sig := byID(b, res, "REGO-102").Signature.(*regoSignature)
	c := sig.cur.Load()
	ev := ptraceEvent("PTRACE_ATTACH")
	in := ast.NewTerm(c.shape.value(&ev))
	filter, direct := c.match.filter, c.match.direct
	c.match.filter, c.match.direct = nil, nil // OPA's evaluation, not the input filter's or the direct answer
	defer func() { c.match.filter, c.match.direct = filter, direct }()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if _, err := c.match.eval(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// cpuClock measures the process's CPU time (user+system, every thread, GC included): on a shared
// machine wall time per op includes waiting for a core, CPU time does not.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkRegoSignatures_engine_8 dispatches one event to 8 Rego signatures that select it,
// through the engine: the input is built once per event and shared.
func BenchmarkRegoSignatures_engine_8(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 8; i++ {
		name := "s" + strconv.Itoa(i)
		src := "package sigs." + name + `
__rego_metadoc__ := {"id": "` + name + `", "eventName": "` + name + `"}
tracee_selected_events contains {"source": "tracee", "name": "ptrace"}
tracee_match if {
	input.data.request == "PTRACE_TRACEME"
	input.data.pid == ` + strconv.Itoa(1000+i) + `
}
`
		if err := os.WriteFile(filepath.Join(dir, name+".rego"), []byte(src), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
	if len(res.Signatures) != 8 {
		b.Fatal(res.Problems)
	}
	cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), domain.BaseEvents())
	eng, _ := domain.NewEngine(domain.EngineConfig{}, res.Signatures, cat, func(*trace.Event) {}, nil)
	ev := ptraceEvent("PTRACE_TRACEME")
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		eng.Dispatch(&ev)
	}
	cpu.report(b)
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/8, "ns/event/signature")
}

// BenchmarkEngine_anti_debugging compares, on the same machine and load, one Go signature and
// its Rego twin dispatched by the engine (input built per event, as in production).
func BenchmarkEngine_anti_debugging(b *testing.B) {
	_, res := loadTestSignatures(b)
	rego := byID(b, res, "REGO-102")
	goSig := signatures.NewAntiDebugging()
	md, _ := goSig.GetMetadata()
	sel, _ := goSig.GetSelectedEvents()
	goLoaded := domain.LoadedSignature{Signature: goSig, Info: domain.SignatureInfo{Metadata: md, Selectors: sel, Origin: "builtin"}}
	for _, tc := range []struct {
		name string
		sig  domain.LoadedSignature
	}{{"go", goLoaded}, {"rego", rego}} {
		for _, req := range []struct {
			name string
			v    int64
		}{{"no-match", 16}, {"match", 0}} {
			b.Run(tc.name+"/"+req.name, func(b *testing.B) {
				sigs := []domain.LoadedSignature{tc.sig}
				cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
				found := 0
				eng, problems := domain.NewEngine(domain.EngineConfig{}, sigs, cat, func(*trace.Event) { found++ }, nil)
				if len(problems) > 0 {
					b.Fatal(problems)
				}
				ev := ptraceEvent("")
				ev.Args[0].Value = req.v
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					eng.Dispatch(&ev)
				}
				cpu.report(b)
				if (found > 0) != (req.v == 0) {
					b.Fatalf("%d findings", found)
				}
			})
		}
	}
}

// BenchmarkFindingEvaluator is the cost of the finding policies per finding (debugger exception
// plus container tagging, as shipped in policies/findings).
func BenchmarkFindingEvaluator(b *testing.B) { benchFindingPolicy(b) }

// BenchmarkFindingEvaluator_through_OPA is the shipped policies on findings whose decisions
// OPA evaluates (builtins the direct answer does not run): a breakout signature in a container
// (severity: plus, min) and a debugger's ptrace (suppress: startswith, regex.replace, sprintf).
func BenchmarkFindingEvaluator_through_OPA(b *testing.B) {
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{"../../../policies/findings"}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	breakout := ptraceEvent("PTRACE_POKETEXT")
	breakout.Container = trace.Container{ID: "abc", ImageName: "alpine"}
	gdb := ptraceEvent("PTRACE_POKETEXT")
	gdb.ProcessName, gdb.Executable.Path = "gdb", "/usr/bin/gdb"
	for _, tc := range []struct {
		name, sig string
		trigger   trace.Event
	}{{"breakout-severity", "TRC-1014", breakout}, {"debugger-suppress", "TRC-103", gdb}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if _, err := e.EvaluateFinding(context.Background(), finding(tc.sig, tc.trigger)); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// benchFindingPolicy builds a finding event (as the engine does) and evaluates the shipped
// policies on it: a TRC-103 finding in a container, tagged and given the image as a field.
func benchFindingPolicy(b *testing.B) {
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{"../../../policies/findings"}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	trigger := ptraceEvent("PTRACE_POKETEXT")
	trigger.Container = trace.Container{ID: "abc", ImageName: "alpine"}
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		ev := finding("TRC-103", trigger)
		if _, err := e.EvaluateFinding(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkRegoSignature_without_prefilter is a rule the prefilter cannot read (its conditions
// go through a comprehension), so every event is evaluated by OPA: the cost of a full evaluation.
func BenchmarkRegoSignature_without_prefilter(b *testing.B) {
	dir := b.TempDir()
	src := `package sigs.full
__rego_metadoc__ := {"id": "FULL", "eventName": "full"}
tracee_selected_events contains {"name": "ptrace"}
tracee_match if count([a | some a in input.args; a.name == "request"; a.value == 0]) > 0
`
	if err := os.WriteFile(filepath.Join(dir, "full.rego"), []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
	sig := res.Signatures[0].Signature
	_ = sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {}})
	ev := ptraceEvent("")
	ev.Args[0].Value = int64(16)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := sig.OnEvent(ev.ToProtocol()); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}
