package ebpf

import (
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// TestWire_matches_bpf checks the Go side of the format against the types bpf2go generated
// from bpf/lib/events.h.
func TestWire_matches_bpf(t *testing.T) {
	assert.Equal(t, headerSize, int(unsafe.Sizeof(traceeEventHeader{})))
	assert.Equal(t, 40, int(unsafe.Offsetof(traceeEventHeader{}.EventId)))
	assert.Equal(t, 88, int(unsafe.Offsetof(traceeEventHeader{}.ArgsLen)))
	assert.Equal(t, 96, int(unsafe.Offsetof(traceeEventHeader{}.Comm)))
	assert.Equal(t, 112, int(unsafe.Offsetof(traceeEventHeader{}.Nodename)))
	assert.Equal(t, 176, int(unsafe.Offsetof(traceeEventHeader{}.Matched)))
	ids := map[traceeEventId]int{
		traceeEventIdEVENT_SCHED_PROCESS_FORK:      domain.EventSchedProcessFork,
		traceeEventIdEVENT_SCHED_PROCESS_EXEC:      domain.EventSchedProcessExec,
		traceeEventIdEVENT_SCHED_PROCESS_EXIT:      domain.EventSchedProcessExit,
		traceeEventIdEVENT_SECURITY_FILE_OPEN:      domain.EventSecurityFileOpen,
		traceeEventIdEVENT_SECURITY_SB_MOUNT:       domain.EventSecuritySbMount,
		traceeEventIdEVENT_SECURITY_INODE_RENAME:   domain.EventSecurityInodeRename,
		traceeEventIdEVENT_SECURITY_SOCKET_CONNECT: domain.EventSecuritySocketConnect,
		traceeEventIdEVENT_MEM_PROT_ALERT:          domain.EventMemProtAlert,
		traceeEventIdEVENT_SOCKET_DUP:              domain.EventSocketDup,
		traceeEventIdEVENT_MAGIC_WRITE:             domain.EventMagicWrite,
		traceeEventIdEVENT_SECURITY_SOCKET_CREATE:  domain.EventSecuritySocketCreate,
		traceeEventIdEVENT_SECURITY_SOCKET_LISTEN:  domain.EventSecuritySocketListen,
		traceeEventIdEVENT_SECURITY_SOCKET_ACCEPT:  domain.EventSecuritySocketAccept,
		traceeEventIdEVENT_SECURITY_SOCKET_BIND:    domain.EventSecuritySocketBind,
		traceeEventIdEVENT_SECURITY_INODE_SYMLINK:  domain.EventSecurityInodeSymlink,
		traceeEventIdEVENT_DO_TRUNCATE:             domain.EventDoTruncate,
	}
	assert.Equal(t, eventCgroupInfo, int(traceeEventIdEVENT_CGROUP_INFO))
	for c, d := range ids {
		assert.Equal(t, d, int(c))
	}
}

// TestEvents_hooks_or_a_reason: each base event has hooks or says why it is unavailable, and
// syscall events fit the generic exit's six arguments.
func TestEvents_hooks_or_a_reason(t *testing.T) {
	for _, def := range Events() {
		if def.Unavailable != "" {
			assert.Empty(t, hooksFor(def), def.Name)
			continue
		}
		assert.NotEmpty(t, hooksFor(def), def.Name)
		if def.Nr >= 0 {
			assert.LessOrEqual(t, len(def.Params), 6, def.Name)
		}
		for _, h := range hooksFor(def) {
			assert.NotEmpty(t, h.prog, def.Name)
		}
	}
}

// TestSyscallConf_kinds_from_go_types: each syscall argument is read as its Go type says.
func TestSyscallConf_kinds_from_go_types(t *testing.T) {
	byName := map[string]domain.EventDefinition{}
	for _, def := range Events() {
		byName[def.Name] = def
	}
	for _, tt := range []struct {
		name   string
		global bool
		want   traceeSyscallConf
	}{
		{"openat", false, traceeSyscallConf{Nargs: 4, Kinds: [6]uint8{kindRaw, kindUserStr, kindRaw, kindRaw}}},
		{"execve", false, traceeSyscallConf{Nargs: 3, Kinds: [6]uint8{kindUserStr, kindUserStrArr, kindUserStrArr}, Flags: confAtEntry}},
		{"execveat", true, traceeSyscallConf{Nargs: 5, Kinds: [6]uint8{kindRaw, kindUserStr, kindUserStrArr, kindUserStrArr, kindRaw}, Flags: confAtEntry | confGlobal}},
		{"connect", true, traceeSyscallConf{Nargs: 3, Kinds: [6]uint8{kindRaw, kindSockAddr, kindRaw}, Flags: confGlobal}},
		{"nanosleep", false, traceeSyscallConf{Nargs: 2, Kinds: [6]uint8{kindTimespec, kindTimespec}}},
		{"pipe2", false, traceeSyscallConf{Nargs: 2, Kinds: [6]uint8{kindInt2, kindRaw}}},
	} {
		def, ok := byName[tt.name]
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.want, syscallConf(def, tt.global), tt.name)
	}
}

// TestHooks_syscall_paths: a few syscall events keep their own tracepoints, more share the raw
// pair, and a selection without syscalls attaches no syscall hook at all.
func TestHooks_syscall_paths(t *testing.T) {
	defs := Events()
	need := map[string]bool{"sched_process_exec": true, "sched_process_fork": true, "sched_process_exit": true}
	assert.False(t, useGlobalSyscalls(defs, need))
	for _, def := range defs {
		if need[def.Name] {
			for _, h := range hooksOf(def, false) {
				assert.Empty(t, h.group, "%s: tp_btf only", def.Name)
				assert.False(t, h.entry, "%s: no syscall entry", def.Name)
				assert.NotEqual(t, traceeProgSysExitAll, h.prog)
			}
		}
	}
	names := append([]string{"openat"}, moreSyscalls(maxPerSyscall)...)
	for i, name := range names[:maxPerSyscall] {
		need[name] = true
		assert.False(t, useGlobalSyscalls(defs, need), "%d syscalls", i+1)
	}
	need[names[maxPerSyscall]] = true
	assert.True(t, useGlobalSyscalls(defs, need), "%d syscalls", maxPerSyscall+1)
	// One program per syscall: at the exit (the arguments come from the saved registers), or at
	// the entry for the events sent there (execve's arguments are gone after it), always in the
	// entry dispatcher's slot of the syscall.
	for _, tt := range []struct {
		name          string
		own, globally hook
	}{
		{"openat", hook{prog: traceeProgSysExitGeneric, group: "syscalls", name: "sys_exit_openat"}, hook{prog: traceeProgSysExitAll}},
		{"execve", hook{prog: traceeProgSysEnterGeneric, entry: true, nr: 59}, hook{prog: traceeProgSysEnterGeneric, entry: true, nr: 59}},
	} {
		i := slices.IndexFunc(defs, func(d domain.EventDefinition) bool { return d.Name == tt.name })
		require.GreaterOrEqual(t, i, 0, tt.name)
		def := defs[i]
		assert.Equal(t, []hook{tt.own}, hooksOf(def, false), tt.name)
		assert.Equal(t, []hook{tt.globally}, hooksOf(def, true), tt.name)
	}
}

// TestHooks_entries_only_through_the_dispatcher: no event puts a program on a perf
// syscalls:sys_enter_* tracepoint (the kernel's perf handler would run beside the dispatcher at
// every syscall's entry), and every entry program has the slot of a real syscall.
func TestHooks_entries_only_through_the_dispatcher(t *testing.T) {
	for _, def := range Events() {
		for _, global := range []bool{false, true} {
			for _, h := range hooksOf(def, global) {
				assert.False(t, h.group == "syscalls" && strings.HasPrefix(h.name, "sys_enter_"), "%s: %s on %s", def.Name, h.prog, h.name)
				if h.entry {
					assert.GreaterOrEqual(t, h.nr, 0, "%s: %s", def.Name, h.prog)
					assert.Less(t, h.nr, 512, "%s: %s", def.Name, h.prog)
				}
			}
		}
	}
	for _, tt := range []struct {
		event string
		want  []hook
	}{
		{"magic_write", []hook{{prog: traceeProgSysEnterMagicWrite, entry: true, nr: 1}, {prog: traceeProgSysEnterMagicWrite, entry: true, nr: 18}, {prog: traceeProgSysEnterMagicWrite, entry: true, nr: 20}}},
		{"security_socket_connect", []hook{{prog: traceeProgSysEnterConnect, entry: true, nr: 42}}},
		{"mem_prot_alert", []hook{{prog: traceeProgSysEnterMmap, entry: true, nr: 9}, {prog: traceeProgSysEnterMprotect, entry: true, nr: 10}}},
	} {
		i := slices.IndexFunc(Events(), func(d domain.EventDefinition) bool { return d.Name == tt.event })
		require.GreaterOrEqual(t, i, 0, tt.event)
		assert.Equal(t, tt.want, hooksFor(Events()[i]), tt.event)
	}
}
