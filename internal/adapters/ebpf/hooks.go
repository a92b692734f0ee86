package ebpf

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// hook is one program attached to one kernel hook point.
type hook struct {
	prog string // program name in bpf/ (a traceeProg* constant)
	// tracepoint group/name; group "" means a tp_btf hook named by the program's section.
	group, name string
	// optional: the event goes on without it (a kernel without the hook loses only what it adds).
	optional bool
}

// internalEvents are always produced: the process tree needs them. They ride on tp_btf
// sched hooks, which cost nothing measurable.
var internalEvents = []string{"sched_process_exec", "sched_process_fork", "sched_process_exit"}

// syscallExits runs exitProg at the exit of each syscall; it reads the syscall's arguments from
// the registers saved at its entry, so the entry needs no program.
func syscallExits(exitProg string, syscalls ...string) []hook {
	var hs []hook
	for _, sc := range syscalls {
		hs = append(hs, hook{prog: exitProg, group: "syscalls", name: "sys_exit_" + sc})
	}
	return hs
}

// hooksFor lists the hooks an event needs; syscall events of the catalog use the generic exit, or
// the generic entry when they are sent at entry (syscallConf's confAtEntry).
func hooksFor(def domain.EventDefinition) []hook {
	switch def.ID {
	case domain.EventSchedProcessExec:
		// sched_prepare_exec (6.11+) saves the comm before the exec: prev_comm.
		return []hook{{prog: traceeProgSchedProcessExec}, {prog: traceeProgSchedPrepareExec, optional: true}}
	case domain.EventSchedProcessFork:
		// cgroup_attach_task sends the cgroup a container's first process is moved into before it
		// execs (exec and fork send theirs too): the container cache needs it, not the event.
		return []hook{{prog: traceeProgSchedProcessFork}, {prog: traceeProgCgroupAttachTask, optional: true}}
	case domain.EventSchedProcessExit:
		return []hook{{prog: traceeProgSchedProcessExit}}
	case domain.EventSecurityFileOpen:
		return syscallExits(traceeProgSysExitFileOpen, "open", "openat", "openat2", "creat")
	case domain.EventDoTruncate:
		return syscallExits(traceeProgSysExitTruncate, "truncate", "ftruncate")
	case domain.EventSecurityInodeRename:
		return syscallExits(traceeProgSysExitRename, "rename", "renameat", "renameat2")
	case domain.EventSecuritySbMount:
		return syscallExits(traceeProgSysExitMount, "mount")
	case domain.EventSecuritySocketConnect:
		return []hook{{prog: traceeProgSysEnterConnect, group: "syscalls", name: "sys_enter_connect"}}
	case domain.EventSecuritySocketCreate:
		return syscallExits(traceeProgSysExitSocketLsm, "socket")
	case domain.EventSecuritySocketListen:
		return syscallExits(traceeProgSysExitSocketLsm, "listen")
	case domain.EventSecuritySocketAccept:
		return syscallExits(traceeProgSysExitSocketLsm, "accept", "accept4")
	case domain.EventSecuritySocketBind:
		return syscallExits(traceeProgSysExitSocketLsm, "bind")
	case domain.EventSecurityInodeSymlink:
		return syscallExits(traceeProgSysExitSymlink, "symlink", "symlinkat")
	case domain.EventSocketDup:
		return syscallExits(traceeProgSysExitDup, "dup", "dup2", "dup3")
	case domain.EventMagicWrite:
		return []hook{{prog: traceeProgSysEnterMagicWrite}} // tp_btf sys_enter: write, pwrite64, writev
	case domain.EventMemProtAlert:
		return []hook{
			{prog: traceeProgSysEnterMmap, group: "syscalls", name: "sys_enter_mmap"},
			{prog: traceeProgSysEnterMprotect, group: "syscalls", name: "sys_enter_mprotect"},
		}
	}
	if def.Nr >= 0 {
		if sentAtEntry(def) {
			return []hook{{prog: traceeProgSysEnterGeneric, group: "syscalls", name: "sys_enter_" + tracepointName(def.Name)}}
		}
		return syscallExits(traceeProgSysExitGeneric, tracepointName(def.Name))
	}
	return nil
}

// tracepointNames maps the syscalls whose syscalls:sys_enter_* tracepoint has another name.
var tracepointNames = map[string]string{
	"stat": "newstat", "fstat": "newfstat", "lstat": "newlstat", "uname": "newuname",
	"sendfile": "sendfile64", "umount2": "umount",
}

func tracepointName(syscall string) string {
	if n, ok := tracepointNames[syscall]; ok {
		return n
	}
	return syscall
}

// wireID is the event ID the kernel writes into a record of def: the syscall number for syscall
// events, the event ID for every other.
func wireID(def domain.EventDefinition) int {
	if def.Nr >= 0 {
		return def.Nr
	}
	return def.ID
}

// maxPerSyscall is the largest number of selected syscall events served by their own
// syscalls:sys_enter_X/sys_exit_X tracepoints. More go through one raw sys_enter/sys_exit pair
// that checks syscall_confs. The trade: a perf-event tracepoint link takes ~60 ms to detach (720
// of them: 45 s; a raw tracepoint ~0.13 ms), but the raw pair runs on every syscall of every task:
// with the default signatures' ~25 syscall events, dd bs=1 cost 1.74x on the pair against 1.14x
// on per-syscall tracepoints (docs/benchmarks/ebpf.md). So the default set stays per-syscall and
// only sets and large selections (-e syscalls) take the pair.
const maxPerSyscall = 40

// hooksOf is hooksFor, with syscall events on the raw sys_exit (or, for those sent at entry,
// sys_enter) when global is set: one program per syscall of every task, not two.
func hooksOf(def domain.EventDefinition, global bool) []hook {
	if global && def.Nr >= 0 {
		if sentAtEntry(def) {
			return []hook{{prog: traceeProgSysEnterAll}}
		}
		return []hook{{prog: traceeProgSysExitAll}}
	}
	return hooksFor(def)
}

// sentAtEntry reports whether a syscall event is sent at the syscall's entry (syscallConf's confAtEntry).
func sentAtEntry(def domain.EventDefinition) bool {
	return syscallConf(def, false).Flags&confAtEntry != 0
}

// useGlobalSyscalls reports whether the syscall events needed are too many for per-syscall tracepoints.
func useGlobalSyscalls(defs []domain.EventDefinition, need map[string]bool) bool {
	n := 0
	for _, def := range defs {
		if def.Nr >= 0 && def.Unavailable == "" && need[def.Name] {
			n++
		}
	}
	return n > maxPerSyscall
}

// syscallConf says how a syscall event's arguments are encoded: one kind per argument, from the
// Go type Tracee gives it. Events with a []string argument (execve, execveat) are emitted at
// entry: after a successful exec the old memory is gone.
func syscallConf(def domain.EventDefinition, global bool) traceeSyscallConf {
	var c traceeSyscallConf
	if global {
		c.Flags |= confGlobal
	}
	for i, p := range def.Params {
		if i == len(c.Kinds) {
			break
		}
		c.Nargs++
		switch p.Type {
		case typeString:
			c.Kinds[i] = kindUserStr
		case typeStrings:
			c.Kinds[i] = kindUserStrArr
			c.Flags |= confAtEntry
		case typeSockAddr:
			c.Kinds[i] = kindSockAddr
		case typeTimespec:
			c.Kinds[i] = kindTimespec
		case typeInt2:
			c.Kinds[i] = kindInt2
		}
	}
	return c
}
