package ebpf

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/signatures"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// defaultAgent runs what `tracee` runs by default, minus the outputs: the source with the
// events the built-in signatures select, feeding the engine with those signatures.
type defaultAgent struct {
	cancel context.CancelFunc
	done   chan error
	src    *Source
	eng    *domain.Engine
}

func startDefaultAgent(t *testing.T) *defaultAgent {
	t.Helper()
	var loaded []domain.LoadedSignature
	for _, s := range signatures.All() {
		md, _ := s.GetMetadata()
		sel, _ := s.GetSelectedEvents()
		loaded = append(loaded, domain.LoadedSignature{Signature: s, Info: domain.SignatureInfo{Metadata: md, Selectors: sel, Origin: "builtin"}})
	}
	cat := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
	// TRACEE_EBPF_BENCH_EVENTS selects other events than the default signatures (to find floors).
	var names []string
	if v := os.Getenv("TRACEE_EBPF_BENCH_EVENTS"); v != "" {
		names = strings.Split(v, ",")
	}
	sel, err := domain.Select(cat, names)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	eng, _ := domain.NewEngine(domain.EngineConfig{}, loaded, cat, nil, log)
	// As the app does: the kernel drops the opens no selected signature can match.
	var cfg Config
	if oi, ok := domain.OpenInterestOf(loaded, sel); ok && os.Getenv("TRACEE_EBPF_BENCH_NO_OPEN_FILTER") == "" {
		cfg.OpenInterest = &oi
	}
	src, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &defaultAgent{cancel: cancel, done: make(chan error, 1), src: src, eng: eng}
	go func() { a.done <- src.Run(ctx, sel, func(ev *trace.Event) { eng.Dispatch(ev) }) }()
	for src.Stats().EventsRead == 0 {
		_ = exec.Command("/bin/true").Run()
		time.Sleep(20 * time.Millisecond)
	}
	need := make([]string, 0, len(sel.Need))
	for n := range sel.Need {
		need = append(need, n)
	}
	sort.Strings(need)
	t.Logf("agent events: %s", strings.Join(need, ","))
	return a
}

func (a *defaultAgent) stop(t *testing.T) {
	a.cancel()
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
	a.eng.Close()
}

// TestBench_overhead: workloads timed without and with the agent, alternating in one run.
func TestBench_overhead(t *testing.T) {
	requireBench(t)
	pairs := envInt("TRACEE_EBPF_BENCH_PAIRS", 5)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ddCount := envInt("TRACEE_EBPF_BENCH_DD", 2_000_000)
	only := os.Getenv("TRACEE_EBPF_BENCH_ONLY") // a substring of the workload names to run
	workloads := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"exec loop (fork+exec /bin/true x2000)", func() *exec.Cmd {
			return exec.Command("/bin/bash", "-c", "for i in $(seq 2000); do /bin/true; done")
		}},
		{"open/close loop (x500000)", func() *exec.Cmd { return helperCommand("open-loop", file+":500000") }},
		{fmt.Sprintf("dd bs=1 count=%d", ddCount), func() *exec.Cmd {
			return exec.Command("dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count="+strconv.Itoa(ddCount))
		}},
	}
	if only != "" {
		for i := len(workloads) - 1; i >= 0; i-- {
			if !strings.Contains(workloads[i].name, only) {
				workloads = append(workloads[:i], workloads[i+1:]...)
			}
		}
	}
	// timeIt returns the wall time and the CPU time (user+sys, children included) of a workload.
	timeIt := func(cmd *exec.Cmd) (time.Duration, time.Duration) {
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", cmd.Args, err, out)
		}
		wall := time.Since(start)
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		return wall, cpu
	}
	base := make([][]time.Duration, len(workloads))
	with := make([][]time.Duration, len(workloads))
	baseCPU := make([][]time.Duration, len(workloads))
	withCPU := make([][]time.Duration, len(workloads))
	var agentCPU []time.Duration
	var hwm string
	for p := 0; p < pairs; p++ {
		for i, w := range workloads {
			wall, cpu := timeIt(w.cmd())
			base[i], baseCPU[i] = append(base[i], wall), append(baseCPU[i], cpu)
		}
		a := startDefaultAgent(t)
		cpu0 := selfCPU()
		for i, w := range workloads {
			wall, cpu := timeIt(w.cmd())
			with[i], withCPU[i] = append(with[i], wall), append(withCPU[i], cpu)
		}
		agentCPU = append(agentCPU, selfCPU()-cpu0)
		st := a.src.Stats()
		a.stop(t)
		hwm = vmHWM()
		t.Logf("pair %d: read=%d emitted=%d lost=%d", p+1, st.EventsRead, st.Emitted, st.Lost)
	}
	for i, w := range workloads {
		b, a := median(base[i]), median(with[i])
		bc, ac := median(baseCPU[i]), median(withCPU[i])
		t.Logf("RESULT overhead %s: wall without %v, with %v, ratio %.2fx; workload CPU without %v, with %v, ratio %.2fx (medians of %d, alternating)",
			w.name, b.Round(time.Millisecond), a.Round(time.Millisecond), float64(a)/float64(b),
			bc.Round(time.Millisecond), ac.Round(time.Millisecond), float64(ac)/float64(bc), pairs)
	}
	t.Logf("RESULT agent CPU while the workloads ran (median per pass of all three): %v", median(agentCPU).Round(time.Millisecond))
	t.Logf("RESULT rss peak of the test process running the agent (VmHWM): %s", hwm)
}

// selfCPU is the CPU time of this process (the agent's goroutines), children excluded.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
