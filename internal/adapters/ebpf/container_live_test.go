package ebpf

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/containertest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestSource_live_container_of_an_exited_process: a container process that lives a few ms has its
// exec and open events attributed to its container. The source's ProcRoot has no process
// directories, so the /proc fallback cannot answer: the ID comes from the cgroup path the kernel
// sent when the process entered its cgroup.
func TestSource_live_container_of_an_exited_process(t *testing.T) {
	requireLive(t) // root and BTF
	rt := containertest.Require(t)
	proc := t.TempDir()
	for _, f := range []string{"self/status", "cgroups"} {
		b, err := os.ReadFile(filepath.Join("/proc", f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(proc, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(proc, f), b, 0o644))
	}
	src, err := New(Config{ProcRoot: proc}, nil)
	require.NoError(t, err)
	var mu sync.Mutex
	var events []*trace.Event
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, domain.Selection{Need: map[string]bool{"sched_process_exec": true, "security_file_open": true}},
			func(ev *trace.Event) {
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
			})
	}()
	defer func() { cancel(); require.NoError(t, <-done) }()
	require.Eventually(t, func() bool { // ready: it sees the test's own execs
		_, _ = runHelper("exec-true")
		mu.Lock()
		defer mu.Unlock()
		return len(events) > 0
	}, 30*time.Second, 100*time.Millisecond, "the source never reported an event")

	id := containertest.NewID()
	out, err := rt.Run(id, "sh", "-c", "cat /etc/shadow")
	require.NoError(t, err)
	require.Contains(t, out, "root:*:", "the container read its /etc/shadow")

	find := func(match func(*trace.Event) bool) *trace.Event {
		var found *trace.Event
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			i := slices.IndexFunc(events, match)
			if i >= 0 {
				found = events[i]
			}
			return found != nil
		}, 10*time.Second, 50*time.Millisecond)
		return found
	}
	exec := find(func(ev *trace.Event) bool {
		argv, _ := trace.ArgVal[[]string](ev.Args, "argv")
		return ev.EventName == "sched_process_exec" && slices.Equal(argv, []string{"sh", "-c", "cat /etc/shadow"})
	})
	open := find(func(ev *trace.Event) bool {
		p, _ := trace.ArgVal[string](ev.Args, "pathname")
		return ev.EventName == "security_file_open" && p == "/etc/shadow" && ev.HostProcessID != 0 && ev.MountNS == exec.MountNS
	})
	for _, ev := range []*trace.Event{exec, open} {
		assert.Equal(t, id, ev.ContainerID, ev.EventName)
		assert.Equal(t, id, ev.Container.ID, ev.EventName)
		assert.True(t, ev.ContextFlags.ContainerStarted, ev.EventName)
		assert.Equal(t, "container", string(ev.Origin()), ev.EventName)
		assert.Greater(t, ev.CgroupID, uint(1), "%s: cgroupId is the container's cgroup, not a hierarchy root", ev.EventName)
	}
	assert.Equal(t, exec.CgroupID, open.CgroupID)
}
