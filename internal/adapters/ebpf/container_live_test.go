package ebpf

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/containertest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// isolatedSource runs a source whose ProcRoot has no process directories, so the /proc fallback
// cannot answer: container IDs can only come from the cgroup paths the kernel sends.
func isolatedSource(t *testing.T, need ...string) (events func() []*trace.Event) {
	t.Helper()
	requireLive(t) // root and BTF
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
	var got []*trace.Event
	sel := domain.Selection{Need: map[string]bool{}}
	for _, n := range need {
		sel.Need[n] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, sel, func(ev *trace.Event) {
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
		})
	}()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	events = func() []*trace.Event {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	require.Eventually(t, func() bool { // ready: it sees the test's own execs
		_, _ = runHelper("exec-true")
		return len(events()) > 0
	}, 30*time.Second, 100*time.Millisecond, "the source never reported an event")
	return events
}

func waitEvent(t *testing.T, events func() []*trace.Event, match func(*trace.Event) bool) *trace.Event {
	t.Helper()
	var found *trace.Event
	require.Eventually(t, func() bool {
		evs := events()
		if i := slices.IndexFunc(evs, match); i >= 0 {
			found = evs[i]
		}
		return found != nil
	}, 10*time.Second, 50*time.Millisecond)
	return found
}

func assertInContainer(t *testing.T, id string, ev *trace.Event) {
	t.Helper()
	assert.Equal(t, id, ev.ContainerID, ev.EventName)
	assert.Equal(t, id, ev.Container.ID, ev.EventName)
	assert.True(t, ev.ContextFlags.ContainerStarted, ev.EventName)
	assert.Equal(t, "container", string(ev.Origin()), ev.EventName)
	assert.Greater(t, ev.CgroupID, uint(1), "%s: cgroupId is the container's cgroup, not a hierarchy root", ev.EventName)
}

// TestSource_live_container_of_an_exited_process: a container process that lives a few ms has its
// exec and open events attributed to its container, from the cgroup path the kernel sent when the
// process entered its cgroup (the source cannot read /proc).
func TestSource_live_container_of_an_exited_process(t *testing.T) {
	rt := containertest.Require(t)
	events := isolatedSource(t, "sched_process_exec", "security_file_open")
	id := containertest.NewID()
	out, err := rt.Run(id, "sh", "-c", "cat /etc/shadow")
	require.NoError(t, err)
	containertest.RequireOutput(t, out, "root:*:") // the container read its /etc/shadow

	exec := waitEvent(t, events, func(ev *trace.Event) bool {
		argv, _ := trace.ArgVal[[]string](ev.Args, "argv")
		return ev.EventName == "sched_process_exec" && slices.Equal(argv, []string{"sh", "-c", "cat /etc/shadow"})
	})
	open := waitEvent(t, events, func(ev *trace.Event) bool {
		p, _ := trace.ArgVal[string](ev.Args, "pathname")
		return ev.EventName == "security_file_open" && p == "/etc/shadow" && ev.MountNS == exec.MountNS
	})
	assertInContainer(t, id, exec)
	assertInContainer(t, id, open)
	assert.Equal(t, exec.CgroupID, open.CgroupID)
}

// TestSource_live_v2_only_container_on_a_hybrid_host: on a hybrid host a container may sit in a
// v2 cgroup only (its v1 cgroups are the roots); its short-lived process is attributed too.
func TestSource_live_v2_only_container_on_a_hybrid_host(t *testing.T) {
	const v2 = "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(v2, "cgroup.procs")); err != nil {
		t.Skipf("needs a hybrid host's cgroup v2 hierarchy at %s: %v", v2, err)
	}
	events := isolatedSource(t, "sched_process_exec")
	id := containertest.NewID()
	dir := filepath.Join(v2, "docker-"+id+".scope")
	require.NoError(t, os.Mkdir(dir, 0o755))
	defer os.Remove(dir)
	cmd := helperCommand("wait-exec-true")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	moveErr := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait())
	require.NoError(t, moveErr)

	exec := waitEvent(t, events, func(ev *trace.Event) bool {
		argv, _ := trace.ArgVal[[]string](ev.Args, "argv")
		return ev.EventName == "sched_process_exec" && ev.HostProcessID == pid && slices.Equal(argv, []string{"true"})
	})
	assertInContainer(t, id, exec)
}
