package ebpf

import (
	"sync"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// hook is one program attached to one kernel hook point.
type hook struct {
	prog string // program name in bpf/ (a traceeProg* constant)
	// tracepoint group/name; group "" means a tp_btf hook named by the program's section.
	group, name string
	// entry: prog runs at the entry of syscall nr, put in sys_enter_tails[nr] for the one program
	// on the raw sys_enter, sys_enter_dispatch, to tail-call.
	entry bool
	nr    int
	// optional: the event goes on without it (a kernel without the hook loses only what it adds).
	optional bool
}

// dispatchHook is the program every entry hook needs attached: it tail-calls sys_enter_tails.
var dispatchHook = hook{prog: traceeProgSysEnterDispatch}

// syscallEntries runs entryProg at the entry of each syscall (tail-called by sys_enter_dispatch).
func syscallEntries(entryProg string, syscalls ...string) []hook {
	var hs []hook
	for _, sc := range syscalls {
		hs = append(hs, hook{prog: entryProg, entry: true, nr: syscallNr(sc)})
	}
	return hs
}

// syscallNr is the number of a syscall of the event catalog (x86-64), -1 if it has none.
func syscallNr(name string) int {
	if def, ok := baseCatalog().Lookup(name); ok {
		return def.Nr
	}
	return -1
}

var baseCatalog = sync.OnceValue(func() *domain.Catalog { return domain.NewCatalog(domain.BaseEvents()) })

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
// the generic entry when they are sent at entry (syscallConf's confAtEntry). Every entry program
// is a tail call of sys_enter_dispatch: no perf syscalls:sys_enter_* tracepoint is used.
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
		return syscallEntries(traceeProgSysEnterConnect, "connect")
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
		return syscallEntries(traceeProgSysEnterMagicWrite, "write", "pwrite64", "writev")
	case domain.EventMemProtAlert:
		return append(syscallEntries(traceeProgSysEnterMmap, "mmap"), syscallEntries(traceeProgSysEnterMprotect, "mprotect")...)
	}
	if def.Nr >= 0 {
		if sentAtEntry(def) {
			return []hook{{prog: traceeProgSysEnterGeneric, entry: true, nr: def.Nr}}
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

// hooksOf is hooksFor, with the syscall events sent at the exit on the raw sys_exit when global is
// set: one program at every syscall's exit instead of one tracepoint per syscall. (Entries are
// already on the one raw sys_enter program.)
func hooksOf(def domain.EventDefinition, global bool) []hook {
	if global && def.Nr >= 0 && !sentAtEntry(def) {
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
