package ebpf

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// countOwnBPF counts this process's open BPF objects of a kind ("bpf-prog", "bpf_link", "bpf-map"),
// from the targets of /proc/self/fd: unlike a system-wide count, other agents and test packages
// running eBPF at the same time do not disturb it.
func countOwnBPF(t *testing.T, kind string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list own fds: %v", err)
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && target == "anon_inode:"+kind {
			n++
		}
	}
	return n
}

func startSource(t *testing.T, cfg Config, log *slog.Logger, need ...string) (*Source, *[]*trace.Event, *sync.Mutex, context.CancelFunc, chan error) {
	t.Helper()
	sel := domain.Selection{Need: map[string]bool{}}
	for _, n := range need {
		sel.Need[n] = true
	}
	src, err := New(cfg, log)
	require.NoError(t, err)
	var mu sync.Mutex
	var events []*trace.Event
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, sel, func(ev *trace.Event) { mu.Lock(); events = append(events, ev); mu.Unlock() })
	}()
	for i := 0; src.Stats().EventsRead == 0; i++ {
		require.Less(t, i, 200, "source not ready")
		_, _ = runHelper("exec-true")
		time.Sleep(20 * time.Millisecond)
	}
	return src, &events, &mu, cancel, done
}

func TestSource_Run_detaches_everything_when_ctx_ends(t *testing.T) {
	requireLive(t) // root, BTF
	progs, links := countOwnBPF(t, "bpf-prog"), countOwnBPF(t, "bpf_link")
	_, _, _, cancel, done := startSource(t, Config{}, nil, "kill")
	assert.Greater(t, countOwnBPF(t, "bpf-prog"), progs, "programs loaded while running")
	assert.Greater(t, countOwnBPF(t, "bpf_link"), links, "programs attached while running")
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, progs, countOwnBPF(t, "bpf-prog"), "programs closed after Run")
	assert.Equal(t, links, countOwnBPF(t, "bpf_link"), "links detached after Run")
}

func TestSource_Run_names_unavailable_events_and_carries_on(t *testing.T) {
	requireLive(t)
	if _, err := os.Stat(tracefsPath + "/events/syscalls/sys_enter_init_module"); err == nil {
		t.Skip("this kernel has module support: init_module is available")
	}
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	_, events, mu, cancel, done := startSource(t, Config{}, log, "init_module", "kill")
	defer func() { cancel(); <-done }()
	pid, err := runHelper("syscalls", t.TempDir())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range *events {
			if ev.EventName == "kill" && ev.HostProcessID == pid {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "kill events flow")
	warn := ""
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "unavailable") {
			warn += line
		}
	}
	assert.Contains(t, warn, "init_module")
	assert.NotContains(t, warn, "kill")
}

func TestSource_Run_counts_and_logs_drops(t *testing.T) {
	requireLive(t)
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// A one-page ring, no early wakeup and a slow poll: a storm must overflow it.
	src, _, _, cancel, done := startSource(t, Config{RingBufferBytes: 4096, WakeupBytes: 1 << 20,
		PollInterval: 200 * time.Millisecond, StatsInterval: 100 * time.Millisecond}, log, "kill")
	_, err := runHelper("storm", "1:2:0")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "kernel dropped events") },
		10*time.Second, 50*time.Millisecond, "a log line about the drops")
	st := src.Stats()
	cancel()
	require.NoError(t, <-done)
	assert.NotZero(t, st.Lost)
	assert.Len(t, st.LostPerCPU, mustPossibleCPUs(t))
	final := src.Stats().Lost
	assert.GreaterOrEqual(t, final, st.Lost, "kept after Run returns")
	assert.Equal(t, final, src.Stats().Lost, "and frozen")
}

func mustPossibleCPUs(t *testing.T) int {
	n, err := ebpf.PossibleCPU()
	require.NoError(t, err)
	return n
}

func TestSource_Run_fails_clearly_without_privileges(t *testing.T) {
	procRoot := t.TempDir()
	require.NoError(t, os.MkdirAll(procRoot+"/self", 0o755))
	require.NoError(t, os.WriteFile(procRoot+"/self/status", []byte("CapEff:\t0000000000000000\n"), 0o644))
	src, err := New(Config{ProcRoot: procRoot}, nil)
	require.NoError(t, err)
	err = src.Run(context.Background(), domain.Selection{Need: map[string]bool{"kill": true}}, func(*trace.Event) {})
	assert.True(t, errors.Is(err, ErrNotPrivileged), "got %v", err)
	assert.NotContains(t, err.Error(), "\n")
}
