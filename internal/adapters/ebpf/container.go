package ebpf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// containerResolver maps a cgroup ID to the container ID in its cgroup path. The kernel sends the
// path of each cgroup a task enters (learn), so a process that exited before its events were
// decoded keeps its container; /proc/<pid>/cgroup, read once per cgroup, is the fallback for
// cgroups entered before the agent started.
type containerResolver struct {
	procRoot string
	byCgroup map[uint64]cgroupEntry
	gen      uint64 // moves on every change: what the decoder cached from the resolver is stale
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

// maxCgroups bounds the cache; past it the cache starts again (from /proc for cgroups still in use).
const maxCgroups = 65536

// learn records the path of a cgroup, as the kernel sent it when a task entered it.
func (r *containerResolver) learn(cgroupID uint64, path string) {
	if len(r.byCgroup) > maxCgroups {
		clear(r.byCgroup)
	}
	r.byCgroup[cgroupID] = cgroupEntry{id: containerIDFromCgroup(path), known: true}
	r.gen++
}

// cacheKey: a cgroup ID names the task's cgroup in the hierarchy the kernel reads. Its root (ID 1)
// is shared by every task there, while a container may live in another hierarchy (a hybrid host's
// v2 or v1 ones): for the root the process is the key.
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
		r.gen++
	}
}

// lookup returns the container ID of a task's cgroup ("" for none) and whether the answer is
// final: it is not while /proc is to be asked again (the process was gone).
func (r *containerResolver) lookup(cgroupID uint64, pid uint32) (id string, final bool) {
	cgroupID = cacheKey(cgroupID, pid)
	e, ok := r.byCgroup[cgroupID]
	if ok && (e.known || time.Now().Before(e.retryAt)) {
		return e.id, e.known
	}
	r.gen++
	b, err := os.ReadFile(filepath.Join(r.procRoot, strconv.FormatUint(uint64(pid), 10), "cgroup"))
	if err != nil {
		r.byCgroup[cgroupID] = cgroupEntry{retryAt: time.Now().Add(cgroupRetry)}
		return "", false
	}
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controllers:path; cgroup v2 is "0::/path"
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			if id = containerIDFromCgroup(parts[2]); id != "" {
				break
			}
		}
	}
	if len(r.byCgroup) > maxCgroups {
		clear(r.byCgroup)
	}
	r.byCgroup[cgroupID] = cgroupEntry{id: id, known: true}
	return id, true
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

// cgroupController is the cgroup hierarchy the kernel reads a task's cgroup ID and path from.
type cgroupController struct {
	name      string // "" for cgroup v2
	subsys    int32  // index in css_set.subsys (the line of /proc/cgroups); -1 for v2
	hierarchy int32  // hierarchy ID; 0 for v2
}

// preferredControllers: container runtimes create a cgroup in every v1 controller; cpuset is
// Tracee's choice, the others follow in case it is not mounted.
var preferredControllers = []string{"cpuset", "memory", "pids", "cpu", "cpuacct", "devices", "freezer", "blkio"}

// cgroupV1Controller picks, from procRoot/cgroups, the v1 controller that names containers on a
// v1 or hybrid host; on a pure v2 host (no controller on a v1 hierarchy) it answers v2.
func cgroupV1Controller(procRoot string) cgroupController {
	b, err := os.ReadFile(filepath.Join(procRoot, "cgroups"))
	if err != nil {
		return cgroupController{subsys: -1}
	}
	return parseProcCgroups(string(b))
}

// parseProcCgroups reads /proc/cgroups: "#subsys_name hierarchy num_cgroups enabled", one line
// per controller in the kernel's subsystem order.
func parseProcCgroups(text string) cgroupController {
	v1 := map[string]cgroupController{}
	var first []string
	i := int32(0)
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		idx := i
		i++
		if len(f) < 4 {
			continue
		}
		h, err := strconv.Atoi(f[1])
		if err != nil || h <= 0 || f[3] != "1" {
			continue
		}
		v1[f[0]] = cgroupController{name: f[0], subsys: idx, hierarchy: int32(h)}
		first = append(first, f[0])
	}
	for _, name := range preferredControllers {
		if c, ok := v1[name]; ok {
			return c
		}
	}
	if len(first) > 0 {
		return v1[first[0]]
	}
	return cgroupController{subsys: -1}
}
