package elasticsearch

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// A process can name its UTS namespace anything (unshare --uts; hostname evil): the alert still
// belongs to the real host; the forged nodename stays in tracee.host_name and Tracee's hostName.
func TestIdentity_Document_host_is_the_real_host_not_the_task_nodename(t *testing.T) {
	ev := testAlert(1, "10.0.0.1")
	ev.HostName = "evil"
	d := Identity{HostName: "real-host", AgentID: "a1", AgentVersion: "v1"}.Document(&ev, time.Unix(0, 1))
	assert.Equal(t, DocHost{Name: "real-host", Hostname: "real-host"}, d.Host)
	assert.Equal(t, "evil", d.Tracee.HostName)
	assert.Equal(t, "evil", d.Tracee.Event.HostName, "Tracee's JSON keeps the task's nodename")
	assert.Equal(t, &DocAgent{ID: "a1", Name: "tracee", Type: "tracee", Version: "v1"}, d.Agent)
}

func TestDetectIdentity_in_the_hosts_namespace_is_os_Hostname(t *testing.T) {
	if self, _ := os.Readlink("/proc/self/ns/uts"); self != initUTS {
		t.Skip("needs to run in the initial UTS namespace")
	}
	h, err := os.Hostname()
	require.NoError(t, err)
	t.Setenv(EnvHostName, "")
	id := DetectIdentity()
	assert.Equal(t, h, id.HostName)
	assert.Len(t, id.AgentID, 32)
	assert.NotEmpty(t, id.AgentVersion)
}

// The live case: this test binary re-runs itself in a new UTS namespace whose nodename is
// forged, and there RealHostname still answers the real host's name (setns into the initial one).
func TestRealHostname_from_a_forged_UTS_namespace(t *testing.T) {
	if want := os.Getenv("TRACEE_TEST_REAL_HOSTNAME"); want != "" {
		own, _ := os.Hostname()
		require.Equal(t, "evil", own, "the child runs in the forged namespace")
		require.Equal(t, want, RealHostname())
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (unshare --uts, setns)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	if self, _ := os.Readlink("/proc/self/ns/uts"); self != initUTS {
		t.Skip("needs to run in the initial UTS namespace")
	}
	real, err := os.Hostname()
	require.NoError(t, err)
	require.NotEqual(t, "evil", real)
	cmd := exec.CommandContext(context.Background(), unshare, "--uts", "sh", "-c",
		`hostname evil && exec "$0" -test.run '^TestRealHostname_from_a_forged_UTS_namespace$' -test.count=1`, os.Args[0])
	cmd.Env = append(os.Environ(), "TRACEE_TEST_REAL_HOSTNAME="+real)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.True(t, strings.Contains(string(out), "PASS"), "%s", out)
	h, _ := os.Hostname()
	assert.Equal(t, real, h, "the parent's nodename is untouched")
}

func TestDetectIdentity_TRACEE_HOST_NAME_names_the_node(t *testing.T) {
	t.Setenv(EnvHostName, "node-7")
	assert.Equal(t, "node-7", DetectIdentity().HostName)
}

// Replay level, through the real sink and searcher: an alert whose task forged its nodename is
// found under the real host (--host REAL) and not under the forged name (--host evil); the forged
// name is kept in tracee.host_name.
func TestIntegration_forged_nodename_alert_is_found_under_the_real_host(t *testing.T) {
	url := esURL(t)
	c := rawClient(t, url)
	prefix := uniquePrefix("host")
	deleteIndices(t, c, prefix)
	cfg := testConfig(t, url)
	cfg.IndexPrefix, cfg.Replicas = prefix, 0
	t.Setenv(EnvHostName, "")
	real := DetectIdentity().HostName
	require.NotEmpty(t, real)
	require.NotEqual(t, "evil", real)
	s, err := New(cfg, quietLog()) // detects the identity itself
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(1_764_000_000_000_000_000, "10.0.0.9")
	ev.HostName = "evil"
	require.NoError(t, s.Write(context.Background(), &ev))
	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, 1, countDocs(t, c, prefix))

	searcher, err := NewSearcher(SearchConfig{URLs: []string{url}, IndexPrefix: prefix})
	require.NoError(t, err)
	for host, want := range map[string]int64{real: 1, "evil": 0} {
		n, err := searcher.Count(context.Background(), domain.AlertQuery{Hosts: []string{host}})
		require.NoError(t, err)
		assert.Equal(t, want, n, "--host %s", host)
	}
	page, err := searcher.Search(context.Background(), domain.AlertQuery{Limit: 1})
	require.NoError(t, err)
	require.Len(t, page.Alerts, 1)
	assert.Equal(t, real, page.Alerts[0].Host)
	var hit struct {
		Hits struct {
			Hits []struct {
				Source map[string]any `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	require.Equal(t, 200, getJSON(t, c, "GET", "/"+IndexPattern(prefix)+"/_search", &hit))
	require.Len(t, hit.Hits.Hits, 1)
	v, _ := lookup(hit.Hits.Hits[0].Source, FieldTraceeHostName)
	assert.Equal(t, "evil", v)
	v, _ = lookup(hit.Hits.Hits[0].Source, "tracee.event.hostName")
	assert.Equal(t, "evil", v, "Tracee's JSON keeps the task's nodename")
}
