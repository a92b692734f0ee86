// Package hostident names the real host an agent watches: the nodename of the initial UTS
// namespace, which no traced process can change (a task's own nodename is forgeable with
// unshare --uts). The Elasticsearch documents and the embedded alert store both record it.
package hostident

import (
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// EnvHostName names the host when set: the Kubernetes DaemonSet sets it to the node's name
// (downward API spec.nodeName), so that a pod without CAP_SYS_ADMIN need not join the host's
// UTS namespace. Only the operator sets a pod's environment; a traced process cannot.
const EnvHostName = "TRACEE_HOST_NAME"

// HostName is $TRACEE_HOST_NAME, else RealHostname.
func HostName() string {
	if h := os.Getenv(EnvHostName); h != "" {
		return h
	}
	return RealHostname()
}

// initUTS names the initial UTS namespace: its inode number is fixed by the kernel
// (PROC_UTS_INIT_INO), so "am I in the host's UTS namespace" needs no access to PID 1.
const InitUTS = "uts:[4026531838]"

// RealHostname is the nodename of the initial UTS namespace, the host's. When the agent is in it
// (a host service, or a pod with hostNetwork) that is os.Hostname(). Otherwise (a container with
// hostPID but a UTS namespace of its own) a locked thread joins the initial namespace through a
// process that is in it (PID 1 first) and asks uname, which needs CAP_SYS_ADMIN; without it,
// /proc/1/root/etc/hostname; the agent's own nodename is the last resort.
func RealHostname() string {
	own, _ := os.Hostname()
	if self, err := os.Readlink("/proc/self/ns/uts"); err != nil || self == InitUTS {
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
	if l, err := os.Readlink("/proc/1/ns/uts"); err == nil && l == InitUTS {
		out = append(out, "/proc/1/ns/uts")
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name() == "1" || e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		p := "/proc/" + e.Name() + "/ns/uts"
		if l, err := os.Readlink(p); err == nil && l == InitUTS {
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
