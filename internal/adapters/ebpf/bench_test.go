package ebpf

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
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
// total rates (TRACEE_EBPF_BENCH_RATES, calls/s, comma-separated; 0: as fast as possible). The
// agent is the default one (the built-in signatures and their events) with kill selected as
// well: in this process (the source and the engine; the agent's CPU per event is this process's
// CPU over the events emitted: record read, decode, process tree and container lookup, engine),
// or, with TRACEE_EBPF_BENCH_AGENT set to the shipped binary, that binary run with
// `-e signatures,kill -o none` and its metrics server (its CPU from /proc, its counts from
// /metrics: everything the agent does per event, the pipeline goroutine included).
func TestBench_throughput(t *testing.T) {
	requireBench(t)
	secs := envInt("TRACEE_EBPF_BENCH_SECONDS", 5)
	procs := envInt("TRACEE_EBPF_BENCH_PROCS", 4)
	t.Setenv("TRACEE_EBPF_BENCH_EVENTS", "signatures,kill")
	for _, rate := range envInts("TRACEE_EBPF_BENCH_RATES", 250_000, 500_000, 750_000, 1_000_000, 0) {
		a := startThroughputAgent(t)
		_, emitted0, lost0 := a.counts(t)
		cpu0 := a.cpu(t)
		start := time.Now()
		calls, err := stormProcs(secs, procs, rate)
		if err != nil {
			t.Fatal(err)
		}
		// let the reader drain what is in the ring
		read, emitted, lost := a.counts(t)
		for i := 0; i < 100; i++ {
			time.Sleep(20 * time.Millisecond)
			r, e, l := a.counts(t)
			if r == read && e == emitted {
				break
			}
			read, emitted, lost = r, e, l
		}
		cpu := a.cpu(t) - cpu0
		elapsed := time.Since(start)
		a.stop(t)
		emitted, lost = emitted-emitted0, lost-lost0
		label := "max"
		if rate > 0 {
			label = strconv.Itoa(rate)
		}
		t.Logf("RESULT throughput %s target=%s procs=%d calls=%d emitted=%d lost=%d (%.3f%%) rate=%.0f events/s agent CPU %.2fs = %.2f us/event, over %.1fs",
			a.name, label, procs, calls, emitted, lost, 100*float64(lost)/float64(max(calls, 1)),
			float64(emitted)/float64(secs), cpu.Seconds(), float64(cpu.Microseconds())/float64(max(emitted, 1)), elapsed.Seconds())
	}
}

// throughputAgent is the agent under TestBench_throughput: in process or the shipped binary.
type throughputAgent struct {
	name      string
	inProcess *defaultAgent
	cmd       *exec.Cmd
	stderr    *syncbuf.Buffer
	metrics   string // the shipped binary's /metrics URL
}

func startThroughputAgent(t *testing.T) *throughputAgent {
	bin := os.Getenv("TRACEE_EBPF_BENCH_AGENT")
	if bin == "" {
		return &throughputAgent{name: "in-process", inProcess: startDefaultAgent(t)}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", 33000+os.Getpid()%2000)
	cmd, stderr := startBinary(t, append(strings.Fields(bin), "-e", "signatures,kill", "-o", "none",
		"--server", "metrics", "--server", "http-address="+addr))
	return &throughputAgent{name: "shipped-binary", cmd: cmd, stderr: stderr, metrics: "http://" + addr + "/metrics"}
}

// counts returns the records read from the ring, the events that reached the engine and the
// records the kernel lost.
func (a *throughputAgent) counts(t *testing.T) (read, emitted, lost uint64) {
	if a.inProcess != nil {
		st := a.inProcess.src.Stats()
		return st.EventsRead, a.inProcess.emitted.Load(), st.Lost
	}
	resp, err := http.Get(a.metrics)
	if err != nil {
		t.Fatalf("agent metrics: %v: %s", err, a.stderr.String())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(name string) uint64 {
		var total float64
		for _, line := range strings.Split(string(body), "\n") {
			if f := strings.Fields(line); len(f) == 2 && (f[0] == name || strings.HasPrefix(f[0], name+"{")) {
				v, _ := strconv.ParseFloat(f[1], 64)
				total += v
			}
		}
		return uint64(total)
	}
	return sum("tracee_kernel_records_read_total"), sum("tracee_events_total"), sum("tracee_kernel_records_lost_total")
}

// cpu is the agent's CPU time so far (user + sys, every thread).
func (a *throughputAgent) cpu(t *testing.T) time.Duration {
	if a.inProcess != nil {
		return selfCPU()
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", a.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// the fields after the command name in parentheses: utime and stime are the 12th and 13th
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

func (a *throughputAgent) stop(t *testing.T) {
	if a.inProcess != nil {
		a.inProcess.stop(t)
		return
	}
	stopBinary(t, a.cmd, a.stderr)
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

// envInts reads a comma-separated list of integers (TRACEE_EBPF_BENCH_RATES=500000 runs one rate).
func envInts(name string, def ...int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			panic(fmt.Sprintf("%s: %q is not a rate in calls/s (want e.g. 500000,0)", name, f))
		}
		out = append(out, n)
	}
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
