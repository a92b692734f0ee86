package domain_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// benchSignature does what a typical Go signature does: assert the payload, scan the arguments for
// one by name and compare its value, reporting nothing for ordinary events.
type benchSignature struct {
	meta   detect.SignatureMetadata
	event  string
	arg    string
	needle string
	cb     detect.SignatureHandler
}

func (s *benchSignature) GetMetadata() (detect.SignatureMetadata, error) { return s.meta, nil }
func (s *benchSignature) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: s.event, Origin: "*"}}, nil
}
func (s *benchSignature) Init(ctx detect.SignatureContext) error { s.cb = ctx.Callback; return nil }
func (s *benchSignature) Close()                                 {}
func (s *benchSignature) OnSignal(detect.Signal) error           { return nil }
func (s *benchSignature) OnEvent(pe protocol.Event) error {
	ev, ok := pe.Payload.(trace.Event)
	if !ok {
		return fmt.Errorf("unexpected payload %T", pe.Payload)
	}
	for i := range ev.Args {
		if ev.Args[i].Name != s.arg {
			continue
		}
		if v, ok := ev.Args[i].Value.(string); ok && strings.HasPrefix(v, s.needle) {
			s.cb(&detect.Finding{SigMetadata: s.meta, Event: pe})
		}
	}
	return nil
}

// benchEventMix approximates a busy host: file opens dominate, then process and network events,
// and a tail of events no signature selects (the source only emits what is needed, but not every
// needed event is selected by every signature set).
func benchEventMix() []trace.Event {
	mk := func(name string, args ...trace.Argument) trace.Event {
		return trace.Event{EventName: name, ProcessName: "bash", HostProcessID: 1234, Args: args}
	}
	str := func(name, v string) trace.Argument {
		return trace.Argument{ArgMeta: trace.ArgMeta{Name: name, Type: "const char*"}, Value: v}
	}
	var mix []trace.Event
	add := func(n int, ev trace.Event) {
		for i := 0; i < n; i++ {
			mix = append(mix, ev)
		}
	}
	add(40, mk("security_file_open", str("pathname", "/usr/lib/x86_64-linux-gnu/libc.so.6"), str("syscall_pathname", "libc.so.6")))
	add(10, mk("sched_process_exec", str("pathname", "/usr/bin/ls"), str("cmdpath", "ls")))
	add(10, mk("sched_process_fork"))
	add(10, mk("sched_process_exit"))
	add(10, mk("security_socket_connect", str("remote_addr", "127.0.0.1")))
	add(5, mk("security_inode_rename", str("old_path", "/tmp/a"), str("new_path", "/tmp/b")))
	add(5, mk("mem_prot_alert", str("pathname", "")))
	add(10, mk("kill"))
	return mix
}

var benchSelectable = []struct{ event, arg string }{
	{"security_file_open", "pathname"}, {"sched_process_exec", "pathname"}, {"security_socket_connect", "remote_addr"},
	{"security_inode_rename", "new_path"}, {"mem_prot_alert", "pathname"}, {"ptrace", "request"},
	{"memfd_create", "name"}, {"security_sb_mount", "path"},
}

func benchEngine(b *testing.B, nsigs int) {
	sigs := make([]domain.LoadedSignature, 0, nsigs)
	for i := 0; i < nsigs; i++ {
		pick := benchSelectable[i%len(benchSelectable)]
		s := &benchSignature{meta: detect.SignatureMetadata{ID: fmt.Sprintf("B-%d", i), EventName: fmt.Sprintf("bench_%d", i)},
			event: pick.event, arg: pick.arg, needle: "/never/matches"}
		sigs = append(sigs, domain.LoadedSignature{Signature: s, Info: domain.SignatureInfo{Metadata: s.meta,
			Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: s.event, Origin: "*"}}}})
	}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	e, problems := domain.NewEngine(domain.EngineConfig{}, sigs, cat, nil, nil)
	if len(problems) > 0 {
		b.Fatal(problems)
	}
	mix := benchEventMix()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPUClock()
	for i := 0; i < b.N; i++ {
		e.Dispatch(&mix[i%len(mix)])
	}
	cpu.report(b)
}

// cpuClock measures the process's CPU time (user+sys, every thread: GC included), which a shared,
// busy machine inflates far less than wall time. events/s-cpu is what one core sustains.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPUClock() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	used := processCPU() - c.start
	if used <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/used.Seconds(), "events/s-cpu")
}

func BenchmarkEngine_Dispatch_1sig(b *testing.B)    { benchEngine(b, 1) }
func BenchmarkEngine_Dispatch_30sigs(b *testing.B)  { benchEngine(b, 30) }
func BenchmarkEngine_Dispatch_128sigs(b *testing.B) { benchEngine(b, 128) }

// BenchmarkEngine_Dispatch_unselected measures an event no signature wants: a map lookup, no allocation.
func BenchmarkEngine_Dispatch_unselected(b *testing.B) {
	s := &benchSignature{meta: detect.SignatureMetadata{ID: "B", EventName: "b"}, event: "ptrace", arg: "request"}
	sigs := []domain.LoadedSignature{{Signature: s, Info: domain.SignatureInfo{Metadata: s.meta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	e, _ := domain.NewEngine(domain.EngineConfig{}, sigs, domain.NewCatalog(domain.SignatureEvents(sigs)), nil, nil)
	ev := &trace.Event{EventName: "sched_process_fork"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Dispatch(ev)
	}
}
