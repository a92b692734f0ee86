package ebpf

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// TestBench_magic_write_program: the kernel's own count of the time the entry programs spend per
// dd bs=1 syscall (bpf_stats: run_time_ns / run_cnt of sys_enter_dispatch, which runs at every
// syscall's entry, dd's reads and writes, and tail-calls magic_write's program at the writes: a
// tail call's time is its caller's), with the default signatures and the prefilter off
// (TRACEE_EBPF_BENCH_NO_MAGIC_FILTER) and on, next to a no-op program on the same raw tracepoint
// (what bpf_stats itself costs per call). Rounds alternate; medians are reported.
func TestBench_magic_write_program(t *testing.T) {
	requireBench(t)
	if err := ensureTracefs(); err != nil {
		t.Skipf("no tracefs: %v", err)
	}
	rounds := envInt("TRACEE_EBPF_BENCH_PAIRS", 5)
	count := envInt("TRACEE_EBPF_BENCH_DD", 2_000_000)
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		t.Fatalf("enable bpf_stats: %v", err)
	}
	defer stats.Close()
	dd := func() {
		if out, err := exec.Command("dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count="+strconv.Itoa(count)).CombinedOutput(); err != nil {
			t.Fatalf("dd: %v: %s", err, out)
		}
	}
	// perCall runs dd and returns ns per run of the programs p.
	perCall := func(progs []*ebpf.Program) float64 {
		var n0, t0 uint64
		for _, p := range progs {
			s, err := p.Stats()
			if err != nil {
				t.Fatal(err)
			}
			n0, t0 = n0+s.RunCount, t0+uint64(s.Runtime)
		}
		dd()
		var n1, t1 uint64
		for _, p := range progs {
			s, _ := p.Stats()
			n1, t1 = n1+s.RunCount, t1+uint64(s.Runtime)
		}
		if n1 == n0 {
			t.Fatal("the program did not run")
		}
		return float64(t1-t0) / float64(n1-n0)
	}
	noop := func() float64 {
		p, detach := attachNoop(t, noopOnRawSysEnter)
		defer detach()
		return perCall([]*ebpf.Program{p})
	}
	agent := func(filter bool) float64 {
		if !filter {
			t.Setenv("TRACEE_EBPF_BENCH_NO_MAGIC_FILTER", "1")
		}
		before := entryDispatchers(t, nil)
		a := startDefaultAgent(t)
		defer a.stop(t)
		if !filter {
			t.Setenv("TRACEE_EBPF_BENCH_NO_MAGIC_FILTER", "")
		}
		return perCall(entryDispatchers(t, before))
	}
	var floor, off, on []float64
	for r := 0; r < rounds; r++ {
		floor = append(floor, noop())
		off = append(off, agent(false))
		on = append(on, agent(true))
	}
	med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	t.Logf("RESULT magic_write program on dd bs=1 count=%d, per syscall (bpf_stats run_time_ns/run_cnt, medians of %d alternating rounds): "+
		"no-op program %.1f ns/call, magic_write filter off %.1f ns/call, filter on %.1f ns/call",
		count, rounds, med(floor), med(off), med(on))
}

// entryDispatchers are the loaded sys_enter_dispatch programs (magic_write's program runs in
// their time) whose IDs are not in skip.
func entryDispatchers(t *testing.T, skip []*ebpf.Program) []*ebpf.Program {
	t.Helper()
	var skipIDs []ebpf.ProgramID
	for _, p := range skip {
		if info, err := p.Info(); err == nil {
			if id, ok := info.ID(); ok {
				skipIDs = append(skipIDs, id)
			}
		}
	}
	var out []*ebpf.Program
	for id := ebpf.ProgramID(0); ; {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		id = next
		if slices.Contains(skipIDs, id) {
			continue
		}
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue // unloaded meanwhile
		}
		if info, err := p.Info(); err == nil && info.Name == traceeProgSysEnterDispatch {
			out = append(out, p)
			t.Cleanup(func() { p.Close() })
			continue
		}
		p.Close()
	}
	return out
}
