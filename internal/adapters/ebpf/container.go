package ebpf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// containerResolver maps a cgroup ID to the container ID in its cgroup path, reading
// /proc/<pid>/cgroup once per cgroup.
type containerResolver struct {
	procRoot string
	byCgroup map[uint64]cgroupEntry
}

type cgroupEntry struct {
	id      string
	known   bool
	retryAt time.Time // when !known: the process was gone; ask /proc again after this
}

// cgroupRetry bounds how often /proc is asked about a cgroup whose processes vanish quickly.
const cgroupRetry = time.Second

func newContainerResolver(procRoot string) *containerResolver {
	return &containerResolver{procRoot: procRoot, byCgroup: map[uint64]cgroupEntry{}}
}

// cacheKey: a cgroup ID names the task's cgroup v2 directory. On a v1 or hybrid host every task
// shares the v2 root (ID 1) while containers live in v1 hierarchies, so there the process is the key.
func cacheKey(cgroupID uint64, pid uint32) uint64 {
	if cgroupID > 1 {
		return cgroupID
	}
	return 1<<63 | uint64(pid)
}

// forget drops what is cached for a process that exited (its pid may be reused).
func (r *containerResolver) forget(cgroupID uint64, pid uint32) {
	if cgroupID <= 1 {
		delete(r.byCgroup, cacheKey(cgroupID, pid))
	}
}

func (r *containerResolver) lookup(cgroupID uint64, pid uint32) string {
	cgroupID = cacheKey(cgroupID, pid)
	e, ok := r.byCgroup[cgroupID]
	if ok && (e.known || time.Now().Before(e.retryAt)) {
		return e.id
	}
	b, err := os.ReadFile(filepath.Join(r.procRoot, strconv.FormatUint(uint64(pid), 10), "cgroup"))
	if err != nil {
		r.byCgroup[cgroupID] = cgroupEntry{retryAt: time.Now().Add(cgroupRetry)}
		return ""
	}
	id := ""
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controllers:path; cgroup v2 is "0::/path"
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			if id = containerIDFromCgroup(parts[2]); id != "" {
				break
			}
		}
	}
	if len(r.byCgroup) > 65536 {
		clear(r.byCgroup)
	}
	r.byCgroup[cgroupID] = cgroupEntry{id: id, known: true}
	return id
}

// containerIDFromCgroup finds a container ID in a cgroup path written by docker, containerd,
// cri-o, podman or Kubernetes (systemd or cgroupfs drivers): the innermost 64-hex-digit name,
// with its runtime prefix and .scope suffix removed.
func containerIDFromCgroup(path string) string {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		s := strings.TrimSuffix(segs[i], ".scope")
		if j := strings.LastIndexAny(s, "-:"); j >= 0 {
			s = s[j+1:]
		}
		if isContainerID(s) {
			return s
		}
	}
	return ""
}

func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
