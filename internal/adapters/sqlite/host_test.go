package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/hostident"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// A process can name its UTS namespace anything (unshare --uts; hostname evil). This test binary
// re-runs itself in such a namespace; there it opens a store and records an alert of a task whose
// nodename is the forged one (its own). The alert is found under the real host (--host REAL), not
// under "evil"; the forged name stays in the recorded event's hostName.
func TestStore_forged_nodename_alert_is_found_under_the_real_host(t *testing.T) {
	if real := os.Getenv("TRACEE_TEST_REAL_HOSTNAME"); real != "" {
		own, _ := os.Hostname()
		require.Equal(t, "evil", own, "the child runs in the forged namespace")
		t.Setenv(hostident.EnvHostName, "")
		s := open(t, sqlite.Config{Path: filepath.Join(t.TempDir(), "alerts.db")})
		ev := alertstest.EventAt(alertstest.Base(), 0, 0)
		ev.HostName = own // what the task reports
		s.Add(t, []*trace.Event{ev})
		for host, want := range map[string]int64{real: 1, "evil": 0} {
			n, err := s.Count(context.Background(), domain.AlertQuery{Hosts: []string{host}})
			require.NoError(t, err)
			assert.Equal(t, want, n, "--host %s", host)
		}
		page, err := s.Search(context.Background(), domain.AlertQuery{})
		require.NoError(t, err)
		require.Len(t, page.Alerts, 1)
		assert.Equal(t, real, page.Alerts[0].Host)
		assert.Contains(t, string(page.Alerts[0].Event), `"hostName":"evil"`, "the task's nodename is kept in the event")
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (unshare --uts, setns)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	if self, _ := os.Readlink("/proc/self/ns/uts"); self != hostident.InitUTS {
		t.Skip("needs to run in the initial UTS namespace")
	}
	real, err := os.Hostname()
	require.NoError(t, err)
	require.NotEqual(t, "evil", real)
	cmd := exec.CommandContext(context.Background(), unshare, "--uts", "sh", "-c",
		`hostname evil && exec "$0" -test.run '^TestStore_forged_nodename_alert_is_found_under_the_real_host$' -test.count=1 -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "TRACEE_TEST_REAL_HOSTNAME="+real)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.True(t, strings.Contains(string(out), "PASS"), "%s", out)
}
