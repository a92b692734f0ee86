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
	require.NotNil(t, d.Observer)
	assert.Equal(t, "real-host", d.Observer.Hostname)
	assert.Equal(t, "ids", d.Observer.Type)
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
