package ebpf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// scopeMode is one way of running the source in TestBench_scope.
type scopeMode struct {
	name  string
	scope string // the policy's scope expression; "" runs no agent at all
}

// scopeFor compiles one policy with scope expr selecting kill and security_file_open, and
// returns its kernel scope and the events the source must produce for it.
func scopeFor(t *testing.T, expr string) (*domain.KernelScope, []string) {
	t.Helper()
	f, err := domain.ParseScopeFilter(expr, "bench")
	if err != nil {
		t.Fatal(err)
	}
	p := domain.Policy{Name: "bench", Scope: []domain.Filter{f},
		Rules: []domain.PolicyRule{{Event: "kill"}, {Event: "security_file_open"}}}
	set, err := domain.NewPolicySet(domain.NewCatalog(domain.BaseEvents()), []domain.Policy{p})
	if err != nil {
		t.Fatal(err)
	}
	ks := set.KernelScope()
	var need []string
	for n := range set.Selection().Need {
		need = append(need, n)
	}
	sort.Strings(need)
	return &ks, need
}

// TestBench_scope: what in-kernel policy scope saves. The same workloads, run by this test's
// children (comm ebpf.test, uid 0), alternate between no agent, a global policy and two narrow
// policies that exclude them (comm=other-process, uid=12345), each selecting kill and
// security_file_open: a kill(2) storm (calls/s, records reaching userspace) and an open/close
// loop (wall and CPU time).
func TestBench_scope(t *testing.T) {
	requireBench(t)
	rounds := envInt("TRACEE_EBPF_BENCH_SCOPE_ROUNDS", 4)
	secs := envInt("TRACEE_EBPF_BENCH_SCOPE_SECONDS", 2)
	opens := envInt("TRACEE_EBPF_BENCH_SCOPE_OPENS", 200_000)
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	modes := []scopeMode{
		{name: "no agent"},
		{name: "global", scope: "global"},
		{name: "narrow comm=other-process", scope: "comm=other-process"},
		{name: "narrow uid=12345", scope: "uid=12345"},
	}
	type sample struct {
		callsPerSec, readPerSec, emittedPerSec float64
		callCPU, openWall, openCPU             time.Duration
		lost                                   uint64
	}
	samples := make([][]sample, len(modes))
	for r := 0; r < rounds; r++ {
		for j := range modes {
			i := j
			if r%2 == 1 {
				i = len(modes) - 1 - j // ABBA order: drifts in the machine's load average out
			}
			m := modes[i]
			var s sample
			var src *Source
			var stop func()
			if m.scope != "" {
				ks, need := scopeFor(t, m.scope)
				var emitted *atomic.Uint64
				src, emitted, stop = runningSource(t, Config{Scope: ks}, need...)
				before, emittedBefore := src.Stats(), emitted.Load()
				s.callsPerSec, s.callCPU = stormRate(t, secs)
				time.Sleep(150 * time.Millisecond) // a few polls: let the reader drain the ring
				after := src.Stats()
				s.readPerSec = float64(after.EventsRead-before.EventsRead) / float64(secs)
				s.emittedPerSec = float64(emitted.Load()-emittedBefore) / float64(secs)
				s.lost = after.Lost - before.Lost
			} else {
				s.callsPerSec, s.callCPU = stormRate(t, secs)
			}
			s.openWall, s.openCPU = timeChild(t, helperCommand("open-loop", file+":"+strconv.Itoa(opens)))
			if stop != nil {
				stop()
			}
			samples[i] = append(samples[i], s)
			t.Logf("round %d %s: kill %.0f calls/s, %v CPU/call, %.0f records/s read, %.0f events/s emitted, %d lost; open/close x%d %v wall %v CPU",
				r+1, m.name, s.callsPerSec, s.callCPU, s.readPerSec, s.emittedPerSec, s.lost, opens,
				s.openWall.Round(time.Millisecond), s.openCPU.Round(time.Millisecond))
		}
	}
	med := func(i int, f func(sample) float64) float64 {
		v := make([]float64, 0, len(samples[i]))
		for _, s := range samples[i] {
			v = append(v, f(s))
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	baseCalls := med(0, func(s sample) float64 { return s.callsPerSec })
	baseCallCPU := med(0, func(s sample) float64 { return float64(s.callCPU) })
	baseWall := med(0, func(s sample) float64 { return float64(s.openWall) })
	baseCPU := med(0, func(s sample) float64 { return float64(s.openCPU) })
	for i, m := range modes {
		calls := med(i, func(s sample) float64 { return s.callsPerSec })
		wall := med(i, func(s sample) float64 { return float64(s.openWall) })
		cpu := med(i, func(s sample) float64 { return float64(s.openCPU) })
		callCPU := med(i, func(s sample) float64 { return float64(s.callCPU) })
		t.Logf("RESULT scope %s: kill storm %.0f calls/s (wall cost per call %.2fx), CPU/call %.2f us (%.2fx), %.0f records/s read, %.0f events/s emitted; open/close wall %.2fx, CPU %.2fx (medians of %d, alternating)",
			m.name, calls, baseCalls/calls, callCPU/1000, callCPU/baseCallCPU,
			med(i, func(s sample) float64 { return s.readPerSec }), med(i, func(s sample) float64 { return s.emittedPerSec }),
			wall/baseWall, cpu/baseCPU, rounds)
	}
}

// stormRate runs a kill(self, 0) storm from 2 threads for secs seconds and returns its calls/s
// and the CPU time (user + sys) it spent per call: the steadier figure on a shared machine.
func stormRate(t *testing.T, secs int) (float64, time.Duration) {
	t.Helper()
	cmd := helperCommand("storm", fmt.Sprintf("%d:2:0", secs))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	calls, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || calls == 0 {
		t.Fatalf("storm: %q: %v", out, err)
	}
	var cpu time.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return float64(calls) / float64(secs), cpu / time.Duration(calls)
}

// timeChild runs cmd and returns its wall time and its CPU time (user + sys).
func timeChild(t *testing.T, cmd *exec.Cmd) (time.Duration, time.Duration) {
	t.Helper()
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", cmd.Args, err, out)
	}
	wall := time.Since(start)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		return wall, 0
	}
	return wall, time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
