package ebpf

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The benchmarks of docs/benchmarks/ebpf.md. They need root and TRACEE_EBPF_BENCH=1 (they take
// minutes and load both cores); scripts/bench-ebpf.sh runs them.
func requireBench(t *testing.T) {
	t.Helper()
	if os.Getenv("TRACEE_EBPF_BENCH") == "" {
		t.Skip("TRACEE_EBPF_BENCH not set (scripts/bench-ebpf.sh runs the eBPF benchmarks)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// runningSource starts a source for need and counts what it emits; stop ends it.
func runningSource(t *testing.T, cfg Config, need ...string) (src *Source, emitted *atomic.Uint64, stop func()) {
	t.Helper()
	sel := domain.Selection{Need: map[string]bool{}}
	for _, n := range need {
		sel.Need[n] = true
	}
	src, err := New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	emitted = &atomic.Uint64{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, sel, func(*trace.Event) { emitted.Add(1) }) }()
	// Ready once an exec is seen (sched_process_exec is always on for the process tree).
	for src.Stats().EventsRead == 0 {
		_ = exec.Command("/bin/true").Run()
		time.Sleep(20 * time.Millisecond)
	}
	return src, emitted, func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBench_throughput: events/s from the kernel through the engine, under a kill(2) storm from
// several generator processes (TRACEE_EBPF_BENCH_PROCS, default 4), at full speed and at fixed
// total rates. The agent is the default one (the built-in signatures and their events) with
// kill selected as well, in this process: the agent's CPU per event is this process's CPU
// (record read, decode, process tree and container lookup, engine) over the events emitted.
func TestBench_throughput(t *testing.T) {
	requireBench(t)
	secs := envInt("TRACEE_EBPF_BENCH_SECONDS", 5)
	procs := envInt("TRACEE_EBPF_BENCH_PROCS", 4)
	t.Setenv("TRACEE_EBPF_BENCH_EVENTS", "signatures,kill")
	for _, rate := range []int{250_000, 500_000, 750_000, 1_000_000, 0} { // total calls/s; 0: as fast as possible
		a := startDefaultAgent(t)
		before := a.src.Stats()
		emitted0 := a.emitted.Load()
		cpu0 := selfCPU()
		start := time.Now()
		calls, err := stormProcs(secs, procs, rate)
		if err != nil {
			t.Fatal(err)
		}
		// let the reader drain what is in the ring
		for i := 0; i < 100; i++ {
			time.Sleep(20 * time.Millisecond)
			if st := a.src.Stats(); st.EventsRead == st.Emitted {
				break
			}
		}
		cpu := selfCPU() - cpu0
		elapsed := time.Since(start)
		after := a.src.Stats()
		emitted := a.emitted.Load() - emitted0
		a.stop(t)
		lost := after.Lost - before.Lost
		label := "max"
		if rate > 0 {
			label = strconv.Itoa(rate)
		}
		t.Logf("RESULT throughput target=%s procs=%d calls=%d emitted=%d lost=%d (%.3f%%) rate=%.0f events/s agent CPU %.2fs = %.2f us/event, over %.1fs",
			label, procs, calls, emitted, lost, 100*float64(lost)/float64(max(calls, 1)),
			float64(emitted)/float64(secs), cpu.Seconds(), float64(cpu.Microseconds())/float64(max(emitted, 1)), elapsed.Seconds())
	}
}

// stormProcs runs the kill storm in procs processes at rate calls/s in total (0: unbounded) and
// returns the calls they made.
func stormProcs(secs, procs, rate int) (int, error) {
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = helperCommand("storm", fmt.Sprintf("%d:1:%d", secs, rate/procs)).Output()
		}()
	}
	wg.Wait()
	total := 0
	for i := range outs {
		if errs[i] != nil {
			return 0, errs[i]
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(outs[i])))
		total += n
	}
	return total, nil
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
