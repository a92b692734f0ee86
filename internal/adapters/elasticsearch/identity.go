package elasticsearch

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"
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

// EnvHostName names the host when set: the Kubernetes DaemonSet sets it to the node's name
// (downward API spec.nodeName), so that a pod without CAP_SYS_ADMIN need not join the host's
// UTS namespace. Only the operator sets a pod's environment; a traced process cannot.
const EnvHostName = "TRACEE_HOST_NAME"

// DetectIdentity finds the real host name ($TRACEE_HOST_NAME, else RealHostname) and this
// agent's ID and version.
func DetectIdentity() Identity {
	host := os.Getenv(EnvHostName)
	if host == "" {
		host = RealHostname()
	}
	return Identity{HostName: host, AgentID: agentID(), AgentVersion: agentVersion()}
}

// agent is agent.*, nil without an identity. (observer.* would repeat agent.* and host.name.)
func (id Identity) agent() *DocAgent {
	if id == (Identity{}) {
		return nil
	}
	return &DocAgent{ID: id.AgentID, Name: "tracee", Type: "tracee", Version: id.AgentVersion}
}

// initUTS names the initial UTS namespace: its inode number is fixed by the kernel
// (PROC_UTS_INIT_INO), so "am I in the host's UTS namespace" needs no access to PID 1.
const initUTS = "uts:[4026531838]"

// RealHostname is the nodename of the initial UTS namespace, the host's. When the agent is in it
// (a host service, or a pod with hostNetwork) that is os.Hostname(). Otherwise (a container with
// hostPID but a UTS namespace of its own) a locked thread joins the initial namespace through a
// process that is in it (PID 1 first) and asks uname, which needs CAP_SYS_ADMIN; without it,
// /proc/1/root/etc/hostname; the agent's own nodename is the last resort.
func RealHostname() string {
	own, _ := os.Hostname()
	if self, err := os.Readlink("/proc/self/ns/uts"); err != nil || self == initUTS {
		return own
	}
	for _, ns := range initUTSPaths() {
		if name, err := utsNodename(ns); err == nil && name != "" {
			return name
		}
	}
	if b, err := os.ReadFile("/proc/1/root/etc/hostname"); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" {
			return name
		}
	}
	return own
}

// initUTSPaths lists /proc/PID/ns/uts links that point at the initial UTS namespace, PID 1's first.
func initUTSPaths() []string {
	var out []string
	if l, err := os.Readlink("/proc/1/ns/uts"); err == nil && l == initUTS {
		out = append(out, "/proc/1/ns/uts")
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name() == "1" || e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		p := "/proc/" + e.Name() + "/ns/uts"
		if l, err := os.Readlink(p); err == nil && l == initUTS {
			out = append(out, p)
			if len(out) >= 3 {
				break
			}
		}
	}
	return out
}

// utsNodename reads the nodename of the UTS namespace at nsPath from a thread of its own that
// joins it. The thread is never unlocked, so Go ends it with the goroutine instead of reusing a
// thread that sits in a foreign namespace.
func utsNodename(nsPath string) (string, error) {
	type result struct {
		name string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWUTS); err != nil {
			ch <- result{err: err}
			return
		}
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{name: unix.ByteSliceToString(u.Nodename[:])}
	}()
	r := <-ch
	return r.name, r.err
}

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
