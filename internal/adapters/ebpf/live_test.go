package ebpf

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func arg(t *testing.T, ev *trace.Event, name string) interface{} {
	t.Helper()
	a := domain.Arg(ev, name)
	require.NotNil(t, a, "event %s has no argument %s", ev.EventName, name)
	return a.Value
}

// assertContext checks the fields every event of a helper child carries.
func assertContext(t *testing.T, ev *trace.Event, pid int) {
	t.Helper()
	host, _ := os.Hostname()
	assert.Equal(t, pid, ev.HostProcessID, "hostProcessId")
	assert.NotZero(t, ev.HostThreadID, "hostThreadId (any thread of the Go helper)")
	assert.Equal(t, ev.HostThreadID, ev.ThreadID, "threadId (same pid namespace)")
	assert.Equal(t, pid, ev.ProcessID, "processId (same pid namespace)")
	assert.Equal(t, os.Getpid(), ev.HostParentProcessID, "hostParentProcessId")
	assert.Equal(t, os.Getpid(), ev.ParentProcessID, "parentProcessId")
	assert.Equal(t, os.Geteuid(), ev.UserID)
	assert.NotZero(t, ev.MountNS)
	assert.NotZero(t, ev.PIDNS)
	assert.NotZero(t, ev.CgroupID)
	assert.NotZero(t, ev.ProcessEntityId)
	assert.NotZero(t, ev.ParentEntityId)
	assert.Equal(t, host, ev.HostName)
	assert.Equal(t, len(ev.Args), ev.ArgsNum)
	assert.WithinDuration(t, time.Now(), time.Unix(0, int64(ev.Timestamp)), time.Minute, "timestamp")
	assert.LessOrEqual(t, ev.ThreadStartTime, ev.Timestamp)
	assert.NotEmpty(t, ev.Syscall)
	assert.Equal(t, "host", string(ev.Origin()))
}

func TestSource_live_events(t *testing.T) {
	l := requireLive(t)
	dir := t.TempDir()
	self, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cwd, err := os.Getwd()
	require.NoError(t, err)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("x"), 0o600))
	mnt := filepath.Join(dir, "mnt")
	require.NoError(t, os.Mkdir(mnt, 0o700))
	renameDir := filepath.Join(dir, "rename")
	require.NoError(t, os.Mkdir(renameDir, 0o700))

	tests := []struct {
		name     string
		action   string
		arg      string
		event    string
		match    func(ev *trace.Event) bool // extra condition besides event name and pid
		check    func(t *testing.T, ev *trace.Event)
		context  bool // assert the full helper context
		byParent bool // the event comes from a child of the helper
	}{
		{name: "exec", action: "exec-true", event: "sched_process_exec", byParent: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, "/usr/bin/true", arg(t, ev, "pathname"))
			assert.Equal(t, "/bin/true", arg(t, ev, "cmdpath"))
			assert.Equal(t, []string{"/bin/true"}, arg(t, ev, "argv"))
			assert.Equal(t, "/usr/bin/true", ev.Executable.Path)
			assert.NotZero(t, arg(t, ev, "inode"))
			assert.Equal(t, "true", ev.ProcessName)
			assert.Contains(t, arg(t, ev, "interpreter_pathname"), "/ld-linux", "the ELF interpreter of a dynamic binary")
			assert.NotZero(t, arg(t, ev, "interpreter_inode"))
			assert.Contains(t, arg(t, ev, "env"), testEnvVar, "the environment the helper set")
			assert.Contains(t, arg(t, ev, "env"), helperEnv+"=exec-true")
			assert.Equal(t, "ebpf.test", arg(t, ev, "prev_comm"), "the comm of the helper's child before it exec'd")
			assert.Equal(t, cwd, arg(t, ev, "pwd"), "the working directory the helper inherited")
		}},
		{name: "exec with an argv longer than an event", action: "exec-long-argv", event: "sched_process_exec", byParent: true, check: func(t *testing.T, ev *trace.Event) {
			argv, _ := arg(t, ev, "argv").([]string)
			assert.Greater(t, len(argv), 50, "argv kept up to the event's limit")
			assert.Less(t, len(argv), 301, "argv cut at the event's limit")
			assert.Equal(t, "/bin/true", arg(t, ev, "interp"), "arguments after argv keep their places")
			assert.Equal(t, "/dev/null", arg(t, ev, "stdin_path"))
			assert.Contains(t, arg(t, ev, "interpreter_pathname"), "/ld-linux")
			assert.Contains(t, arg(t, ev, "env"), testEnvVar, "env after a cut argv gets the room left")
		}},
		{name: "exec with an environment longer than an event", action: "exec-long-env", event: "sched_process_exec", byParent: true, check: func(t *testing.T, ev *trace.Event) {
			env, _ := arg(t, ev, "env").([]string)
			require.NotEmpty(t, env)
			assert.Equal(t, testEnvVar, env[0], "env kept from its start")
			assert.Greater(t, len(env), 100, "env kept up to the event's limit")
			assert.Less(t, len(env), 401, "env cut at the event's limit")
			for _, s := range env[:len(env)-1] {
				assert.Regexp(t, `^[A-Z_0-9]+=`, s, "whole strings before the cut")
			}
			assert.Equal(t, []string{"/bin/true"}, arg(t, ev, "argv"))
		}},
		{name: "fork", action: "exec-true", event: "sched_process_fork", context: true, match: func(ev *trace.Event) bool {
			return domain.Arg(ev, "child_pid").Value == domain.Arg(ev, "child_tid").Value // a process, not a Go thread
		}, check: func(t *testing.T, ev *trace.Event) {
			child := arg(t, ev, "child_pid").(int32)
			assert.NotZero(t, child)
			assert.Equal(t, int32(ev.HostProcessID), arg(t, ev, "parent_pid"))
			assert.Equal(t, int32(ev.HostThreadID), arg(t, ev, "parent_tid"))
			assert.Equal(t, int32(ev.ThreadID), arg(t, ev, "parent_ns_tid"))
			assert.Equal(t, child, arg(t, ev, "child_ns_pid"))
			assert.Equal(t, child, arg(t, ev, "leader_pid"), "the child leads its own group")
			assert.Equal(t, child, arg(t, ev, "leader_tid"))
			assert.Equal(t, int32(ev.HostProcessID), arg(t, ev, "parent_process_pid"), "the helper is the child's parent process")
			assert.Equal(t, int32(ev.HostProcessID), arg(t, ev, "parent_process_ns_pid"))
			start := arg(t, ev, "start_time").(uint64)
			assert.WithinDuration(t, time.Now(), time.Unix(0, int64(start)), time.Minute, "start_time in epoch ns")
			assert.Equal(t, start, arg(t, ev, "leader_start_time"))
			assert.Equal(t, uint64(ev.ThreadStartTime), arg(t, ev, "parent_start_time"), "the forking thread's start")
			pstart := arg(t, ev, "parent_process_start_time").(uint64)
			assert.WithinDuration(t, time.Now(), time.Unix(0, int64(pstart)), time.Minute)
			assert.LessOrEqual(t, pstart, start)
		}},
		{name: "fork of a thread", action: "exec-true", event: "sched_process_fork", context: true, match: func(ev *trace.Event) bool {
			return domain.Arg(ev, "child_pid").Value != domain.Arg(ev, "child_tid").Value // a Go runtime thread
		}, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, int32(ev.HostProcessID), arg(t, ev, "child_pid"), "a thread of the helper")
			assert.Equal(t, int32(ev.HostProcessID), arg(t, ev, "leader_pid"), "its leader is the helper's")
			assert.Equal(t, int32(ev.HostProcessID), arg(t, ev, "leader_tid"))
			assert.Equal(t, int32(os.Getpid()), arg(t, ev, "parent_process_pid"), "the process above the helper: the test")
			assert.Equal(t, uint64(ev.ThreadStartTime), arg(t, ev, "parent_start_time"))
			assert.Less(t, arg(t, ev, "leader_start_time"), arg(t, ev, "start_time"), "the helper started before its thread")
		}},
		{name: "exit", action: "exec-true", event: "sched_process_exit", match: func(ev *trace.Event) bool {
			return domain.Arg(ev, "process_group_exit").Value == true
		}, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, int32(0), arg(t, ev, "exit_code"))
			assert.Equal(t, int32(0), arg(t, ev, "signal_code"))
		}},
		{name: "open", action: "open", arg: target, event: "security_file_open", context: true, match: func(ev *trace.Event) bool {
			return domain.Arg(ev, "pathname").Value == target
		}, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, target, arg(t, ev, "syscall_pathname"))
			assert.Equal(t, self, ev.Executable.Path)
			assert.NotZero(t, arg(t, ev, "inode"))
			assert.NotZero(t, arg(t, ev, "dev"))
			assert.Equal(t, "openat", ev.Syscall)
		}},
		{name: "ptrace traceme", action: "ptrace-traceme", event: "ptrace", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, int64(0), arg(t, ev, "request")) // PTRACE_TRACEME
			assert.Equal(t, "ptrace", ev.Syscall)
			assert.Equal(t, 0, ev.ReturnValue)
		}},
		{name: "memfd_create", action: "memfd-exec", event: "memfd_create", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, "tracee-test", arg(t, ev, "name"))
		}},
		{name: "exec from memfd", action: "memfd-exec", event: "sched_process_exec", match: func(ev *trace.Event) bool {
			return domain.Arg(ev, "cmdpath").Value != os.Args[0]
		}, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, "memfd:tracee-test", arg(t, ev, "pathname"))
			assert.Equal(t, "memfd:tracee-test", ev.Executable.Path)
			assert.Equal(t, []string{"fileless"}, arg(t, ev, "argv"))
		}},
		{name: "rename", action: "rename", arg: renameDir, event: "security_inode_rename", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, filepath.Join(renameDir, "old"), arg(t, ev, "old_path"))
			assert.Equal(t, filepath.Join(renameDir, "new"), arg(t, ev, "new_path"))
		}},
		{name: "connect", action: "connect", arg: "127.0.0.1:" + port, event: "security_socket_connect", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, map[string]string{"sa_family": "AF_INET", "sin_addr": "127.0.0.1", "sin_port": port}, arg(t, ev, "remote_addr"))
			assert.Equal(t, int32(1), arg(t, ev, "type")) // SOCK_STREAM
		}},
		{name: "mount", action: "mount", arg: mnt, event: "security_sb_mount", context: true, match: func(ev *trace.Event) bool {
			return domain.Arg(ev, "path").Value == mnt
		}, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, "tmpfs", arg(t, ev, "dev_name"))
			assert.Equal(t, "tmpfs", arg(t, ev, "type"))
		}},
		{name: "mprotect rwx", action: "mprotect-rwx", event: "mem_prot_alert", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, uint32(trace.ProtAlertMprotectToX), arg(t, ev, "alert"))
			assert.Equal(t, int32(7), arg(t, ev, "prot"))
			assert.Equal(t, int32(3), arg(t, ev, "prev_prot"))
		}},
		{name: "mmap wx", action: "mmap-wx", event: "mem_prot_alert", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, uint32(trace.ProtAlertMmapWX), arg(t, ev, "alert"))
		}},
		{name: "dup2 socket onto stdout", action: "dup2-socket", arg: "127.0.0.1:" + port, event: "socket_dup", context: true, check: func(t *testing.T, ev *trace.Event) {
			assert.Equal(t, int32(1), arg(t, ev, "newfd"))
			assert.Equal(t, map[string]string{"sa_family": "AF_INET", "sin_addr": "127.0.0.1", "sin_port": port}, arg(t, ev, "remote_addr"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since := l.mark()
			pid, err := runHelper(tt.action, tt.arg)
			require.NoError(t, err)
			ev := l.waitFor(t, since, func(ev *trace.Event) bool {
				if tt.byParent {
					return ev.EventName == tt.event && ev.HostParentProcessID == pid && (tt.match == nil || tt.match(ev))
				}
				return ev.EventName == tt.event && ev.HostProcessID == pid && (tt.match == nil || tt.match(ev))
			})
			if tt.context {
				assertContext(t, ev, pid)
				assert.Equal(t, self, ev.Executable.Path)
			}
			tt.check(t, ev)
		})
	}
}

func TestSource_live_decodes_every_record(t *testing.T) {
	l := requireLive(t)
	_, err := runHelper("exec-long-argv")
	require.NoError(t, err)
	_, err = runHelper("exec-long-env")
	require.NoError(t, err)
	st := l.src.Stats()
	assert.NotZero(t, st.EventsRead)
	assert.Zero(t, st.DecodeErrors, "every record the kernel wrote decodes")
}

func TestSource_live_syscall_events(t *testing.T) {
	l := requireLive(t)
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	since := l.mark()
	pid, err := runHelper("syscalls", dir)
	require.NoError(t, err)
	tests := []struct {
		event string
		args  map[string]interface{}
	}{
		{"kill", map[string]interface{}{"pid": int32(pid), "sig": int32(0)}},
		{"setuid", map[string]interface{}{"uid": int32(0)}},
		{"setgid", map[string]interface{}{"gid": int32(0)}},
		{"chmod", map[string]interface{}{"pathname": victim, "mode": uint16(0o640)}},
		{"bpf", map[string]interface{}{"cmd": int32(0xffff)}},
		{"unlink", map[string]interface{}{"pathname": victim}},
		{"process_vm_writev", map[string]interface{}{"pid": int32(pid), "liovcnt": uint64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			ev := l.waitFor(t, since, func(ev *trace.Event) bool {
				return ev.EventName == tt.event && ev.HostProcessID == pid
			})
			assertContext(t, ev, pid)
			assert.Equal(t, tt.event, ev.Syscall)
			for name, want := range tt.args {
				assert.Equal(t, want, arg(t, ev, name), name)
			}
		})
	}
}
