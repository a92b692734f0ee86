package ebpf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func testDecoder(t *testing.T) *decoder {
	t.Helper()
	procRoot := t.TempDir() // an empty /proc: nothing known about any process
	return newDecoder(domain.BaseEvents(), 1_700_000_000_000_000_000, newProcTree(procRoot), newContainerResolver(procRoot))
}

// TestDecoder_cgroup_record_names_the_container_of_later_events: the kernel's cgroup record is no
// event; it attributes the events of its cgroup (77 in newRecord) though /proc knows no process.
func TestDecoder_cgroup_record_names_the_container_of_later_events(t *testing.T) {
	cid2 := strings.Repeat("cd", 32)
	d := testDecoder(t)
	ev, err := d.decode(newRecord(eventCgroupInfo, -1, 0).path(0, cid, "default").bytes())
	require.NoError(t, err)
	assert.Nil(t, ev)
	ev, err = d.decode(newRecord(domain.EventSecurityFileOpen, 257, 42).path(0, "shadow", "etc").u64(0).u64(7).u64(8).u64(9).str("/etc/shadow").bytes())
	require.NoError(t, err)
	assert.Equal(t, cid, ev.ContainerID)
	assert.Equal(t, cid, ev.Container.ID)
	assert.Equal(t, uint(77), ev.CgroupID)

	// a v2-only container on a hybrid host: the tagged ID keys the cache, cgroupId is v2's
	_, err = d.decode(newRecord(eventCgroupInfo, -1, 0).cgroup(77|cgroupV2Tag).path(0, "docker-"+cid2+".scope").bytes())
	require.NoError(t, err)
	ev, err = d.decode(newRecord(domain.EventSchedProcessExit, 60, 43).cgroup(77 | cgroupV2Tag).u64(0).u64(1).bytes())
	require.NoError(t, err)
	assert.Equal(t, cid2, ev.ContainerID)
	assert.Equal(t, uint(77), ev.CgroupID)
}

func inet(port uint16, a, b, c, d byte) []byte {
	return []byte{2, 0, byte(port >> 8), byte(port), a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0}
}

func TestDecoder_decode(t *testing.T) {
	tests := []struct {
		name    string
		rec     []byte
		event   string
		syscall string
		ret     int
		args    map[string]interface{}
	}{
		{
			name:  "exec with argv and absolute path",
			event: "sched_process_exec", syscall: "execve",
			rec: newRecord(domain.EventSchedProcessExec, 59, 42).str("./ls").path(0, "ls", "bin", "usr").u64(0x800001).u64(99).u64(5).u64(0o100755).
				blob(tagStrArr, []byte("ls\x00-la\x00")).str("./ls").u64(0o020000).path(0, "null", "dev").u64(0).
				path(0, "ld-linux-x86-64.so.2", "lib64").u64(3).u64(4).u64(6).str("bash").path(0, "root").blob(tagStrArr, []byte("HOME=/root\x00LD_PRELOAD=/x.so\x00")).bytes(),
			args: map[string]interface{}{
				"cmdpath": "./ls", "pathname": "/usr/bin/ls", "dev": uint32(0x800001), "inode": uint64(99), "ctime": uint64(5),
				"inode_mode": uint16(0o100755), "argv": []string{"ls", "-la"}, "interp": "./ls", "stdin_type": uint16(0o020000),
				"stdin_path": "/dev/null", "invoked_from_kernel": false, "env": []string{"HOME=/root", "LD_PRELOAD=/x.so"},
				"interpreter_pathname": "/lib64/ld-linux-x86-64.so.2", "interpreter_dev": uint32(3), "interpreter_inode": uint64(4), "interpreter_ctime": uint64(6),
				"prev_comm": "bash", "pwd": "/root",
			},
		},
		{
			name:  "exec from memfd has no leading slash",
			event: "sched_process_exec", syscall: "execve",
			rec:  newRecord(domain.EventSchedProcessExec, 59, 42).str("/proc/self/fd/3").path(pathKernelMount, "memfd:x").bytes(),
			args: map[string]interface{}{"pathname": "memfd:x", "argv": []string{}, "env": []string{}},
		},
		{
			name:  "exec with an environment cut at the event's limit",
			event: "sched_process_exec", syscall: "execve",
			rec: newRecord(domain.EventSchedProcessExec, 59, 42).str("/bin/true").path(0, "true", "bin").u64(1).u64(2).u64(3).u64(4).
				blob(tagStrArr, []byte("true\x00")).str("/bin/true").u64(0).path(0).u64(0).path(0).u64(0).u64(0).u64(0).
				str("").path(0).blob(tagStrArr, []byte("A=1\x00PATH=/us")).bytes(),
			args: map[string]interface{}{"argv": []string{"true"}, "env": []string{"A=1", "PATH=/us"}},
		},
		{
			name:  "fork",
			event: "sched_process_fork", syscall: "clone",
			rec: newRecord(domain.EventSchedProcessFork, 56, 42).u64(42).u64(2).u64(42).u64(2).u64(100). // parent
															u64(43).u64(3).u64(43).u64(3).u64(123).         // child
															u64(41).u64(1).u64(41).u64(1).u64(0).           // parent process (0: no start time)
															u64(43).u64(3).u64(43).u64(3).u64(123).bytes(), // leader
			args: map[string]interface{}{"parent_pid": int32(42), "parent_ns_tid": int32(2), "parent_start_time": uint64(1_700_000_000_000_000_100),
				"child_pid": int32(43), "child_ns_tid": int32(3), "start_time": uint64(1_700_000_000_000_000_123),
				"parent_process_pid": int32(41), "parent_process_ns_pid": int32(1), "parent_process_start_time": uint64(0),
				"leader_tid": int32(43), "leader_start_time": uint64(1_700_000_000_000_000_123)},
		},
		{
			name:  "exit",
			event: "sched_process_exit", syscall: "exit_group",
			rec:  newRecord(domain.EventSchedProcessExit, 231, 42).u64(256).u64(1).bytes(),
			args: map[string]interface{}{"exit_code": int32(1), "signal_code": int32(0), "process_group_exit": true},
		},
		{
			name:  "file open",
			event: "security_file_open", syscall: "openat",
			rec:  newRecord(domain.EventSecurityFileOpen, 257, 42).path(0, "shadow", "etc").u64(0x8000).u64(7).u64(8).u64(9).str("shadow").bytes(),
			args: map[string]interface{}{"pathname": "/etc/shadow", "flags": int32(0x8000), "dev": uint32(7), "inode": uint64(8), "syscall_pathname": "shadow"},
		},
		{
			name:  "rename made absolute against the base directories",
			event: "security_inode_rename", syscall: "renameat2",
			rec:  newRecord(domain.EventSecurityInodeRename, 316, 42).str("a").path(0, "tmp").str("/etc/b").path(0).bytes(),
			args: map[string]interface{}{"old_path": "/tmp/a", "new_path": "/etc/b"},
		},
		{
			name:  "do_truncate from ftruncate: the file's path",
			event: "do_truncate", syscall: "ftruncate",
			rec:  newRecord(domain.EventDoTruncate, 77, 42).str("").path(0, "syslog", "log", "var").u64(8).u64(7).u64(0).bytes(),
			args: map[string]interface{}{"pathname": "/var/log/syslog", "inode": uint64(8), "dev": uint32(7), "length": uint64(0)},
		},
		{
			name:  "do_truncate from truncate: the user path made absolute",
			event: "do_truncate", syscall: "truncate",
			rec:  newRecord(domain.EventDoTruncate, 76, 42).str("syslog").path(0, "log", "var").u64(0).u64(0).u64(10).bytes(),
			args: map[string]interface{}{"pathname": "/var/log/syslog", "length": uint64(10)},
		},
		{
			name:  "mount",
			event: "security_sb_mount", syscall: "mount", ret: -1,
			rec:  newRecord(domain.EventSecuritySbMount, 165, 42).retval(-1).str("/dev/sda1").str("../mnt").path(0, "root").str("ext4").u64(1).bytes(),
			args: map[string]interface{}{"dev_name": "/dev/sda1", "path": "/mnt", "type": "ext4", "flags": uint64(1)},
		},
		{
			name:  "connect to an IPv4 address",
			event: "security_socket_connect", syscall: "connect",
			rec:  newRecord(domain.EventSecuritySocketConnect, 42, 42).u64(3).u64(1).blob(tagBytes, inet(443, 10, 0, 0, 1)).bytes(),
			args: map[string]interface{}{"sockfd": int32(3), "type": int32(1), "remote_addr": map[string]string{"sa_family": "AF_INET", "sin_port": "443", "sin_addr": "10.0.0.1"}},
		},
		{
			name:  "socket dup onto stdout",
			event: "socket_dup", syscall: "dup2", ret: 1,
			rec:  newRecord(domain.EventSocketDup, 33, 42).retval(1).u64(3).u64(1).blob(tagBytes, inet(4444, 127, 0, 0, 1)).bytes(),
			args: map[string]interface{}{"oldfd": int32(3), "newfd": int32(1), "remote_addr": map[string]string{"sa_family": "AF_INET", "sin_port": "4444", "sin_addr": "127.0.0.1"}},
		},
		{
			name:  "mem_prot_alert",
			event: "mem_prot_alert", syscall: "mprotect",
			rec:  newRecord(domain.EventMemProtAlert, 10, 42).u64(2).u64(0x7f0000).u64(4096).u64(7).u64(3).path(0).u64(0).u64(0).u64(0).bytes(),
			args: map[string]interface{}{"alert": uint32(trace.ProtAlertMprotectToX), "addr": trace.Pointer(0x7f0000), "len": uint64(4096), "prot": int32(7), "prev_prot": int32(3), "pathname": ""},
		},
		{
			name:  "syscall event typed by the catalog",
			event: "ptrace", syscall: "ptrace",
			rec:  newRecord(101, 101, 42).u64(0).u64(0).u64(0).u64(0).bytes(),
			args: map[string]interface{}{"request": int64(0), "pid": int32(0), "addr": trace.Pointer(0)},
		},
		{
			name:  "syscall event with a string",
			event: "memfd_create", syscall: "memfd_create", ret: 3,
			rec:  newRecord(319, 319, 42).retval(3).str("payload").u64(1).bytes(),
			args: map[string]interface{}{"name": "payload", "flags": uint32(1)},
		},
		{
			name:  "missing arguments become zero values",
			event: "kill", syscall: "kill",
			rec:  newRecord(62, 62, 42).bytes(),
			args: map[string]interface{}{"pid": int32(0), "sig": int32(0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := testDecoder(t).decode(tt.rec)
			require.NoError(t, err)
			assert.Equal(t, tt.event, ev.EventName)
			assert.Equal(t, tt.syscall, ev.Syscall)
			assert.Equal(t, tt.ret, ev.ReturnValue)
			assert.Equal(t, 1_700_000_001_000_000_000, ev.Timestamp)
			assert.Equal(t, 1_700_000_000_500_000_000, ev.ThreadStartTime)
			assert.Equal(t, 42, ev.HostProcessID)
			assert.Equal(t, 1, ev.HostParentProcessID)
			assert.Equal(t, 1000, ev.UserID)
			assert.Equal(t, "bash", ev.ProcessName)
			assert.Equal(t, "host-a", ev.HostName)
			assert.Equal(t, uint(77), ev.CgroupID)
			def := defByName(t, tt.event)
			require.Len(t, ev.Args, len(def.Params), "every catalog argument, in order")
			for i, p := range def.Params {
				assert.Equal(t, p.Name, ev.Args[i].Name)
				assert.Equal(t, p.Type, ev.Args[i].Type)
				assert.NotNil(t, ev.Args[i].Value, p.Name)
			}
			for name, want := range tt.args {
				a := domain.Arg(ev, name)
				require.NotNil(t, a, name)
				assert.Equal(t, want, a.Value, name)
			}
		})
	}
}

func defByName(t *testing.T, name string) domain.EventDefinition {
	for _, d := range domain.BaseEvents() {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no base event %s", name)
	return domain.EventDefinition{}
}

func TestDecoder_decode_rejects_malformed_records(t *testing.T) {
	tests := []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"short header", make([]byte, headerSize-1)},
		{"unknown event", newRecord(9999, 0, 1).bytes()},
		{"argument cut short", newRecord(62, 62, 1).u64(1).bytes()[:headerSize+4]},
		{"string longer than the record", func() []byte {
			b := newRecord(319, 319, 1).str("abcdef").bytes()
			return b[:len(b)-3]
		}()},
		{"unknown tag", newRecord(62, 62, 1).blob(99, nil).bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testDecoder(t).decode(tt.rec)
			assert.Error(t, err)
		})
	}
}

func TestDecoder_process_tree_names_executables(t *testing.T) {
	procRoot := t.TempDir()
	// A process older than the agent, known from /proc only.
	old := filepath.Join(procRoot, "10")
	require.NoError(t, os.MkdirAll(old, 0o755))
	require.NoError(t, os.Symlink("/usr/sbin/sshd", filepath.Join(old, "exe")))
	require.NoError(t, os.WriteFile(filepath.Join(old, "stat"), []byte("10 (ss hd)) S 1 10 10 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 250 0 0"), 0o644))
	procs := newProcTree(procRoot)
	procs.bootstrap()
	d := newDecoder(domain.BaseEvents(), 0, procs, newContainerResolver(procRoot))

	ev, err := d.decode(newRecord(62, 62, 10).bytes())
	require.NoError(t, err)
	assert.Equal(t, "/usr/sbin/sshd", ev.Executable.Path, "bootstrapped from /proc")
	assert.Equal(t, uint64(2_500_000_000), procs.get(10).start, "starttime in clock ticks")

	// 10 forks 11: the child inherits the executable until it execs.
	_, err = d.decode(newRecord(domain.EventSchedProcessFork, 56, 10).u64(10).u64(10).u64(10).u64(10).u64(11).u64(11).u64(11).u64(11).u64(5).bytes())
	require.NoError(t, err)
	ev, err = d.decode(newRecord(62, 62, 11).bytes())
	require.NoError(t, err)
	assert.Equal(t, "/usr/sbin/sshd", ev.Executable.Path)

	_, err = d.decode(newRecord(domain.EventSchedProcessExec, 59, 11).str("sh").path(0, "sh", "bin").bytes())
	require.NoError(t, err)
	ev, err = d.decode(newRecord(62, 62, 11).bytes())
	require.NoError(t, err)
	assert.Equal(t, "/bin/sh", ev.Executable.Path)

	_, err = d.decode(newRecord(domain.EventSchedProcessExit, 60, 11).u64(0).u64(1).bytes())
	require.NoError(t, err)
	assert.Nil(t, procs.get(11), "forgotten at exit")
}

// TestDecoder_task_cache_gives_what_building_anew_gives: a sequence of records, decoded with the
// task cache and with every cached context dropped before each record, gives the same events: the
// cache follows renames, threads, forks, execs, exits, a container the kernel names later, a
// /proc answer that was not final, and threads sharing a slot.
func TestDecoder_task_cache_gives_what_building_anew_gives(t *testing.T) {
	cid2 := strings.Repeat("cd", 32)
	kill := func(pid uint32) *record { return newRecord(62, 62, pid).u64(uint64(pid)).u64(0) }
	fork := func(parent, child uint32) *record {
		return newRecord(domain.EventSchedProcessFork, 56, parent).u64(uint64(parent)).u64(uint64(parent)).u64(uint64(parent)).u64(uint64(parent)).
			u64(uint64(child)).u64(uint64(child)).u64(uint64(child)).u64(uint64(child)).u64(9)
	}
	steps := []struct {
		name string
		rec  []byte
		proc func(root string) // changes /proc before the record
	}{
		{"an old process, from /proc", kill(10).bytes(), nil},
		{"the same again", kill(10).bytes(), nil},
		{"renamed", kill(10).comm("worker").bytes(), nil},
		{"another thread", kill(10).tid(12).bytes(), nil},
		{"a thread in the same slot", kill(10).tid(12 + taskSlots).bytes(), nil},
		{"forks 11", fork(10, 11).bytes(), nil},
		{"the child", kill(11).ppid(10).bytes(), nil},
		{"the child execs", newRecord(domain.EventSchedProcessExec, 59, 11).ppid(10).str("sh").path(0, "sh", "bin").bytes(), nil},
		{"the child after exec", kill(11).ppid(10).bytes(), nil},
		{"a process gone from /proc", kill(20).cgroup(90).bytes(), nil},
		{"it appears in /proc", kill(20).cgroup(90).bytes(), func(root string) {
			writeProc(t, root, 20, "/usr/bin/top", "0::/docker/"+cid2+"\n")
		}},
		{"a process in cgroup 91, by /proc", kill(10).cgroup(91).bytes(), nil},
		{"the kernel names cgroup 91", newRecord(eventCgroupInfo, -1, 0).cgroup(91).path(0, cid, "default").bytes(), nil},
		{"a process in cgroup 91", kill(10).cgroup(91).bytes(), nil},
		{"the parent exits", newRecord(domain.EventSchedProcessExit, 60, 10).u64(0).u64(1).bytes(), nil},
		{"the child of the exited parent", kill(11).ppid(10).bytes(), nil},
	}
	decoders := [2]*decoder{}
	roots := [2]string{}
	for i := range decoders {
		roots[i] = t.TempDir()
		writeProc(t, roots[i], 10, "/usr/sbin/sshd", "0::/user.slice\n")
		procs := newProcTree(roots[i])
		procs.bootstrap()
		decoders[i] = newDecoder(domain.BaseEvents(), 0, procs, newContainerResolver(roots[i]))
	}
	cached, anew := decoders[0], decoders[1]
	for _, st := range steps {
		if st.proc != nil {
			st.proc(roots[0])
			st.proc(roots[1])
		}
		// the process-20 steps: /proc was asked and said nothing; ask again at once
		for _, d := range decoders {
			for k, e := range d.containers.byCgroup {
				if !e.known {
					e.retryAt = time.Time{}
					d.containers.byCgroup[k] = e
				}
			}
		}
		got, err := cached.decode(st.rec)
		require.NoError(t, err, st.name)
		anew.tasks = [taskSlots]taskContext{}
		want, err := anew.decode(st.rec)
		require.NoError(t, err, st.name)
		assert.Equal(t, want, got, st.name)
	}
	ev, err := cached.decode(kill(20).cgroup(90).bytes())
	require.NoError(t, err)
	assert.Equal(t, cid2, ev.ContainerID, "the sequence reached what it tests")
}

// writeProc writes what the decoder reads of /proc/<pid>: exe, stat and cgroup.
func writeProc(t *testing.T, root string, pid int, exe, cgroup string) {
	t.Helper()
	dir := filepath.Join(root, strconv.Itoa(pid))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Symlink(exe, filepath.Join(dir, "exe")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stat"), []byte(strconv.Itoa(pid)+" (x) S 1 10 10 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 40 0 0"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cgroup), 0o644))
}

func FuzzDecoder_decode(f *testing.F) {
	f.Add(newRecord(domain.EventSchedProcessExec, 59, 1).str("x").path(1, "a").blob(tagStrArr, []byte("a\x00b")).bytes())
	f.Add(newRecord(domain.EventSecuritySocketConnect, 42, 1).u64(3).u64(1).blob(tagBytes, inet(1, 1, 1, 1, 1)).bytes())
	f.Add(newRecord(domain.EventSecurityInodeRename, 82, 1).str("a").path(0, "b").str("c").path(0).bytes())
	f.Add(newRecord(62, 62, 1).u64(1).u64(2).bytes())
	f.Add(newRecord(domain.EventSocketDup, 33, 1).u64(1).u64(2).blob(tagBytes, make([]byte, 28)).bytes())
	d := newDecoder(domain.BaseEvents(), 0, newProcTree(f.TempDir()), newContainerResolver(f.TempDir()))
	f.Fuzz(func(t *testing.T, rec []byte) {
		ev, err := d.decode(rec)
		if err == nil && ev == nil {
			t.Fatal("nil event without an error")
		}
	})
}

func BenchmarkDecoder_decode(b *testing.B) {
	d := newDecoder(domain.BaseEvents(), 0, newProcTree(b.TempDir()), newContainerResolver(b.TempDir()))
	recs := map[string][]byte{
		"kill":               newRecord(62, 62, 42).u64(42).u64(0).bytes(),
		"security_file_open": newRecord(domain.EventSecurityFileOpen, 257, 42).path(0, "passwd", "etc").u64(0).u64(7).u64(8).u64(9).str("/etc/passwd").bytes(),
		// a container the kernel named: its ID comes from the cache, no /proc read
		"security_file_open in a container": newRecord(domain.EventSecurityFileOpen, 257, 42).cgroup(99).path(0, "passwd", "etc").u64(0).u64(7).u64(8).u64(9).str("/etc/passwd").bytes(),
	}
	if _, err := d.decode(newRecord(eventCgroupInfo, -1, 0).cgroup(99).path(0, cid, "default").bytes()); err != nil {
		b.Fatal(err)
	}
	for name, rec := range recs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ev, err := d.decode(rec)
				if err != nil {
					b.Fatal(err)
				}
				d.slab.giveBack(ev) // as the agent hands back an event no output kept
			}
		})
	}
}

// An event handed back (Source.Recycle) is decoded into again with nothing left of its past: the
// fields the agent sets after decoding (enrichment, policies, metadata) are reset too, and its
// argument slice, when large enough, holds the new arguments.
func TestDecoder_reuses_a_recycled_event_whole(t *testing.T) {
	d := newDecoder(domain.BaseEvents(), 0, newProcTree(t.TempDir()), newContainerResolver(t.TempDir()))
	recycled := make(chan []*trace.Event, 1)
	d.slab.recycled = recycled
	rec := newRecord(62, 62, 42).u64(42).u64(9).bytes() // kill: two arguments
	fresh, err := d.decode(rec)
	require.NoError(t, err)
	want := *fresh
	want.Args = append([]trace.Argument(nil), fresh.Args...)
	tests := []struct {
		name      string
		args      []trace.Argument
		reuseArgs bool
	}{
		{"argument slice too small", []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "x"}}}, false},
		{"argument slice large enough", make([]trace.Argument, 3), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirty := &trace.Event{EventName: "old", ProcessName: "old", MatchedPolicies: []string{"p"},
				Container: trace.Container{ID: "c", Name: "n", ImageName: "i"}, Kubernetes: trace.Kubernetes{PodName: "pod"},
				ContextFlags: trace.ContextFlags{ContainerStarted: true}, Metadata: &trace.Metadata{Version: "1"},
				Args: tt.args}
			recycled <- []*trace.Event{dirty}
			ev, err := d.decode(rec)
			require.NoError(t, err)
			require.Same(t, dirty, ev, "the handed-back event is reused")
			assert.Equal(t, want, *ev)
			assert.Equal(t, tt.reuseArgs, &ev.Args[0] == &tt.args[0], "argument slice reused")
			assert.Equal(t, len(ev.Args), cap(ev.Args), "an append by a consumer copies")
			next, err := d.decode(rec)
			require.NoError(t, err)
			assert.NotSame(t, dirty, next, "a handed-back event is reused once")
		})
	}
}

// The box cache gives the value kindOf's type would: a number cached for one type is not handed
// out for another, and colliding slots are replaced.
func TestBoxCache_value_is_the_kinds_value(t *testing.T) {
	var c boxCache
	tests := []struct {
		kind argKind
		u    uint64
	}{
		{kindInt32, 4242}, {kindUint32, 4242}, {kindInt32, 4242}, {kindUint64, 4242},
		{kindPointer, 0xffff8000}, {kindInt32, 4242 + 64}, {kindBool, 1}, {kindInt64, 1 << 40},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.kind.value(tt.u), c.value(tt.kind, tt.u), "kind %d value %d", tt.kind, tt.u)
	}
}
