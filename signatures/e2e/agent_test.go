package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/signatures"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// agent is the live source feeding the engine with every built-in signature, as `tracee` runs.
type agent struct {
	mu       sync.Mutex
	findings []trace.Event
	parents  map[int]int // host PID -> host parent PID, from every event seen
	execs    map[int]*trace.Event
	recent   []*trace.Event // the last events seen, to explain a missing finding
	cancel   context.CancelFunc
	done     chan error
}

// startAgent starts the agent and waits until the source delivers events.
func startAgent(t *testing.T) *agent {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the live eBPF source loads kernel programs")
	}
	loaded := domain.Builtin(signatures.All())
	catalog := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
	sel, err := domain.Select(catalog, nil)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	a := &agent{parents: map[int]int{}, execs: map[int]*trace.Event{}, done: make(chan error, 1)}
	engine, problems := domain.NewEngine(domain.EngineConfig{}, loaded, catalog, func(ev *trace.Event) {
		a.mu.Lock()
		a.findings = append(a.findings, *ev)
		a.mu.Unlock()
	}, nil)
	if len(problems) > 0 {
		t.Fatalf("engine: %v", problems)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// As the app wires it: the kernel drops the opens and the magic_writes no signature declares
	// an interest in.
	var cfg ebpf.Config
	if oi, ok := domain.OpenInterestOf(loaded, sel); ok {
		cfg.OpenInterest = &oi
	} else {
		t.Fatal("the built-in signatures do not all declare their open interest")
	}
	if mi, ok := domain.MagicInterestOf(loaded, sel); ok {
		cfg.MagicInterest = &mi
	} else {
		t.Fatal("the built-in signatures do not all declare their magic_write interest")
	}
	src, err := ebpf.New(cfg, log)
	if err != nil {
		t.Fatalf("ebpf source: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	events := make(chan *trace.Event, 1<<16)
	go func() {
		a.done <- src.Run(ctx, sel, func(ev *trace.Event) { events <- ev })
		close(events)
	}()
	go func() {
		defer engine.Close()
		for ev := range events {
			a.observe(ev)
			engine.Dispatch(ev)
		}
	}()
	t.Cleanup(a.stop)

	// The source attaches every hook before it reads: the first event of a probe means it is ready.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-a.done:
			t.Fatalf("live source stopped: %v", err)
		default:
		}
		cmd := exec.Command("/bin/true")
		if err := cmd.Run(); err == nil && a.sawExec(cmd.Process.Pid, 200*time.Millisecond) {
			return a
		}
	}
	t.Fatal("the live source delivered no event within 30s")
	return nil
}

func (a *agent) stop() {
	a.cancel()
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
	}
}

func (a *agent) observe(ev *trace.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.HostParentProcessID != 0 {
		a.parents[ev.HostProcessID] = ev.HostParentProcessID
	}
	if ev.EventName == "sched_process_fork" {
		if c, err := trace.ArgVal[int32](ev.Args, "child_pid"); err == nil {
			a.parents[int(c)] = ev.HostProcessID
		}
	}
	if ev.EventName == "sched_process_exec" {
		a.execs[ev.HostProcessID] = ev
	}
	if len(a.recent) >= 50000 {
		a.recent = append(a.recent[:0], a.recent[25000:]...)
	}
	a.recent = append(a.recent, ev)
}

// eventsOf describes the recent base events of root's process tree.
func (a *agent) eventsOf(root int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, ev := range a.recent {
		if a.descends(ev.HostProcessID, root) {
			out = append(out, describe(ev))
		}
	}
	return out
}

func (a *agent) sawExec(pid int, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		a.mu.Lock()
		_, ok := a.execs[pid]
		a.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return ok
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// descends reports whether pid is root or one of its descendants. Callers hold a.mu.
func (a *agent) descends(pid, root int) bool {
	for i := 0; i < 32 && pid > 1; i++ {
		if pid == root {
			return true
		}
		pid = a.parents[pid]
	}
	return false
}

// findingsOf returns the findings raised by root's process tree.
func (a *agent) findingsOf(root int) []trace.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []trace.Event
	for _, f := range a.findings {
		if a.descends(f.HostProcessID, root) {
			out = append(out, f)
		}
	}
	return out
}

// waitFinding waits for a finding called name from root's process tree.
func (a *agent) waitFinding(t *testing.T, name string, root int) *trace.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range a.findingsOf(root) {
			if f.EventName == name {
				return &f
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	var got []string
	for _, f := range a.findingsOf(root) {
		got = append(got, f.EventName)
	}
	t.Fatalf("no %s finding from pid %d within 10s; its findings: %v; its events:\n%s", name, root, got,
		strings.Join(a.eventsOf(root), "\n"))
	return nil
}

// settle waits until events of actions already done have been processed.
func (a *agent) settle() {
	cmd := exec.Command("/bin/true")
	if cmd.Run() == nil {
		a.sawExec(cmd.Process.Pid, 5*time.Second)
	}
}

func findingArg(ev *trace.Event, name string) interface{} {
	a, err := ev.GetArgumentByName(name, trace.GetArgOps{DefaultArgs: true})
	if err != nil {
		return nil
	}
	return a.Value
}

func severity(ev *trace.Event) int {
	if ev.Metadata == nil {
		return -1
	}
	return domain.PropertyInt(ev.Metadata.Properties, "Severity")
}

func describe(ev *trace.Event) string {
	var args []string
	for _, a := range ev.Args {
		if a.Name != "detectedFrom" {
			args = append(args, fmt.Sprintf("%s=%v", a.Name, a.Value))
		}
	}
	return fmt.Sprintf("%s (severity %d) by %s[%d] cgroup=%d container=%.12s: %s", ev.EventName, severity(ev), ev.ProcessName, ev.HostProcessID, ev.CgroupID, ev.Container.ID, strings.Join(args, " "))
}
