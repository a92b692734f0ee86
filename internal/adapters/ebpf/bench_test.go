package ebpf

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// TestBench_throughput: events/s decoded end to end under a kill(2) storm on both cores, at
// full speed and at fixed rates.
func TestBench_throughput(t *testing.T) {
	requireBench(t)
	secs := envInt("TRACEE_EBPF_BENCH_SECONDS", 5)
	rates := []int{0, 250_000, 500_000, 1_000_000} // total calls/s; 0: as fast as possible
	for _, rate := range rates {
		src, emitted, stop := runningSource(t, Config{}, "kill")
		before := src.Stats()
		start := time.Now()
		out, err := helperCommand("storm", fmt.Sprintf("%d:2:%d", secs, rate/2)).Output()
		if err != nil {
			t.Fatal(err)
		}
		// let the reader drain what is in the ring
		for i := 0; i < 100; i++ {
			time.Sleep(20 * time.Millisecond)
			if src.Stats().EventsRead == before.EventsRead+emitted.Load() {
				break
			}
		}
		elapsed := time.Since(start)
		after := src.Stats()
		stop()
		calls, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		lost := after.Lost - before.Lost
		label := "max"
		if rate > 0 {
			label = strconv.Itoa(rate)
		}
		t.Logf("RESULT throughput target=%s calls=%d emitted=%d lost=%d (%.3f%%) rate=%.0f events/s over %.1fs",
			label, calls, emitted.Load(), lost, 100*float64(lost)/float64(max(calls, 1)),
			float64(emitted.Load())/float64(secs), elapsed.Seconds())
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
