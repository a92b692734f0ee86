package elasticsearch

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"runtime/debug"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/hostident"
)

// Identity is who writes the documents: this agent and the real host it watches. The real host
// is the host of the initial UTS namespace (PID 1's), not the nodename of the task that triggered
// an event: any process can set its own nodename in a new UTS namespace (unshare --uts), and a
// container's nodename is the pod's name. The task's nodename is kept in tracee.host_name.
type Identity struct {
	HostName     string // host.name, host.hostname
	AgentID      string // agent.id: stable per host (derived from the machine ID, not equal to it)
	AgentVersion string // agent.version
}

// EnvHostName names the host when set (hostident.EnvHostName).
const EnvHostName = hostident.EnvHostName

// DetectIdentity finds the real host name ($TRACEE_HOST_NAME, else RealHostname) and this
// agent's ID and version.
func DetectIdentity() Identity {
	return Identity{HostName: hostident.HostName(), AgentID: agentID(), AgentVersion: agentVersion()}
}

// agent is agent.*, nil without an identity. (observer.* would repeat agent.* and host.name.)
func (id Identity) agent() *DocAgent {
	if id == (Identity{}) {
		return nil
	}
	return &DocAgent{ID: id.AgentID, Name: "tracee", Type: "tracee", Version: id.AgentVersion}
}

// initUTS names the initial UTS namespace (see hostident.InitUTS).
const initUTS = hostident.InitUTS

// RealHostname is the nodename of the initial UTS namespace, the host's (hostident.RealHostname).
func RealHostname() string { return hostident.RealHostname() }

// agentID derives a stable ID from the host's machine ID (PID 1's, so a container agent gets the
// host's): hashed, as machine-id(5) asks of anything it is exposed through.
func agentID() string {
	for _, p := range []string{"/proc/1/root/etc/machine-id", "/etc/machine-id"} {
		if b, err := os.ReadFile(p); err == nil {
			if mid := strings.TrimSpace(string(b)); mid != "" {
				sum := sha256.Sum256([]byte("tracee-agent:" + mid))
				return hex.EncodeToString(sum[:16])
			}
		}
	}
	return ""
}

// agentVersion is the module version the binary was built from (or the VCS revision of a dev build).
func agentVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel+" + s.Value[:12]
		}
	}
	return "devel"
}
