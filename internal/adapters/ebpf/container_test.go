package ebpf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const cid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestContainerIDFromCgroup(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{"host", "/user.slice/user-0.slice/session-1.scope", ""},
		{"docker systemd", "/system.slice/docker-" + cid + ".scope", cid},
		{"docker cgroupfs", "/docker/" + cid, cid},
		{"containerd via kubelet", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-" + cid + ".scope", cid},
		{"cri-o", "/kubepods.slice/kubepods-pod2.slice/crio-" + cid + ".scope", cid},
		{"podman", "/machine.slice/libpod-" + cid + ".scope/container", cid},
		{"kubepods cgroupfs", "/kubepods/burstable/pod3/" + cid, cid},
		{"containerd ctr run", "/default/" + cid, cid},
		{"containerd ctr run, a name not an ID", "/default/web", ""},
		{"not hex", "/docker/" + strings.Repeat("z", 64), ""},
		{"too short", "/docker/0123", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, containerIDFromCgroup(tt.path))
		})
	}
}

// lookupID is the container ID lookup answers.
func lookupID(r *containerResolver, cgroupID uint64, pid uint32) string {
	id, _ := r.lookup(cgroupID, pid)
	return id
}

func TestContainerResolver_caches_by_cgroup(t *testing.T) {
	procRoot := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(procRoot, "7"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(procRoot, "7", "cgroup"), []byte("0::/system.slice/docker-"+cid+".scope\n"), 0o644))
	r := newContainerResolver(procRoot)
	assert.Equal(t, cid, lookupID(r, 5, 7))
	require.NoError(t, os.RemoveAll(filepath.Join(procRoot, "7")))
	assert.Equal(t, cid, lookupID(r, 5, 8), "a second process of the cgroup is answered from the cache")
	assert.Equal(t, "", lookupID(r, 6, 9), "unknown process")
	_, final := r.lookup(6, 9)
	assert.False(t, final, "the answer for a vanished process is asked again later")
	require.NoError(t, os.MkdirAll(filepath.Join(procRoot, "10"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(procRoot, "10", "cgroup"), []byte("0::/docker/"+cid+"\n"), 0o644))
	assert.Equal(t, "", lookupID(r, 6, 10), "a cgroup whose process vanished is not asked again at once")
	r.byCgroup[6] = cgroupEntry{retryAt: time.Now().Add(-time.Millisecond)}
	assert.Equal(t, cid, lookupID(r, 6, 10), "but after a while")
}

// TestContainerResolver_root_cgroup_is_not_a_shared_key: on a v1 or hybrid host every task has the
// v2 root cgroup (ID 1); a container process must not make every later host process a container.
func TestContainerResolver_root_cgroup_is_not_a_shared_key(t *testing.T) {
	proc := t.TempDir()
	id := strings.Repeat("ab", 32)
	for pid, path := range map[string]string{"10": "/docker/" + id, "11": "/user.slice"} {
		require.NoError(t, os.MkdirAll(filepath.Join(proc, pid), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(proc, pid, "cgroup"), []byte("4:memory:"+path+"\n0::/\n"), 0o644))
	}
	r := newContainerResolver(proc)
	assert.Equal(t, id, lookupID(r, 1, 10))
	assert.Equal(t, "", lookupID(r, 1, 11), "the host process is not in the container")
	r.forget(1, 10)
	require.NoError(t, os.WriteFile(filepath.Join(proc, "10", "cgroup"), []byte("0::/\n"), 0o644))
	assert.Equal(t, "", lookupID(r, 1, 10), "a reused pid is looked up again")
}

func TestContainerResolver_learned_cgroup_needs_no_proc(t *testing.T) {
	r := newContainerResolver(t.TempDir())
	r.learn(42, "/default/"+cid)
	r.learn(43, "/user.slice")
	assert.Equal(t, cid, lookupID(r, 42, 7), "a process gone from /proc keeps its container")
	assert.Equal(t, "", lookupID(r, 43, 8))
	r.byCgroup[44] = cgroupEntry{retryAt: time.Now().Add(time.Hour)}
	r.learn(44, "/docker/"+cid)
	assert.Equal(t, cid, lookupID(r, 44, 10), "the kernel's path replaces a failed /proc read")
}

func TestParseProcCgroups(t *testing.T) {
	const hybrid = `#subsys_name	hierarchy	num_cgroups	enabled
cpuset	3	4	1
cpu	1	4	1
cpuacct	2	4	1
blkio	7	4	1
memory	4	54	1
pids	8	4	1
`
	tests := []struct {
		name, text string
		want       cgroupController
	}{
		{"hybrid: cpuset, Tracee's choice", hybrid, cgroupController{name: "cpuset", subsys: 0, hierarchy: 3}},
		{"cpuset on v2: memory", "#h\ncpuset\t0\t1\t1\ncpu\t1\t4\t1\nmemory\t4\t5\t1\n",
			cgroupController{name: "memory", subsys: 2, hierarchy: 4}},
		{"a disabled controller is skipped", "#h\ncpuset\t3\t1\t0\nfoo\t5\t1\t1\n",
			cgroupController{name: "foo", subsys: 1, hierarchy: 5}},
		{"pure v2", "#h\ncpuset\t0\t1\t1\nmemory\t0\t1\t1\n", cgroupController{subsys: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseProcCgroups(tt.text))
		})
	}
	assert.Equal(t, cgroupController{subsys: -1}, cgroupV1Controller(t.TempDir()), "unreadable: v2")
}
