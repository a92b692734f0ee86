package e2e

import (
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/containertest"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestLive_finding_of_a_short_lived_container_process: `cat /etc/shadow` in a real container
// (ctr run --rm, a 64-hex ID) lives a few ms; its EXT-001 finding names the container.
func TestLive_finding_of_a_short_lived_container_process(t *testing.T) {
	rt := containertest.Require(t)
	a := startAgent(t)
	id := containertest.NewID()
	out, err := rt.Run(id, "cat", "/etc/shadow")
	if err != nil {
		t.Fatal(err)
	}
	containertest.RequireOutput(t, out, "root:*:") // the container read its /etc/shadow
	f := a.waitFindingWhere(t, "credential_file_read in container "+id, func(f *trace.Event) bool {
		return f.EventName == "credential_file_read" && f.ContainerID == id
	})
	if f.Container.ID != id || !f.ContextFlags.ContainerStarted || f.Origin() != "container" {
		t.Errorf("finding not attributed to the container: id %q, started %v, origin %q", f.Container.ID, f.ContextFlags.ContainerStarted, f.Origin())
	}
	if f.CgroupID <= 1 {
		t.Errorf("cgroupId %d: want the container's cgroup", f.CgroupID)
	}
}

// waitFindingWhere waits for a finding that match accepts, from any process.
func (a *agent) waitFindingWhere(t *testing.T, what string, match func(*trace.Event) bool) *trace.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		for i := range a.findings {
			if match(&a.findings[i]) {
				f := a.findings[i]
				a.mu.Unlock()
				return &f
			}
		}
		a.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no finding %s within 10s", what)
	return nil
}
