package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// maxTrackedProcs bounds the memory of a commTracker; past it the tracker starts over, which at
// worst loses the previous name of processes that exec later.
const maxTrackedProcs = 1 << 16

// commTracker remembers each process's name before its latest exec, so a signature can tell which
// program a new program replaced (sched_process_exec reports the new name only).
type commTracker struct {
	names map[int]string // host PID -> current comm (or executable name)
	// byExe tracks the base name of the executable the kernel ran instead of comm, which the
	// program can set to anything.
	byExe bool
}

func newCommTracker() commTracker { return commTracker{names: make(map[int]string)} }

// newExeTracker remembers each process's executable name before its latest exec.
func newExeTracker() commTracker { return commTracker{names: make(map[int]string), byExe: true} }

func (t *commTracker) name(ev *trace.Event) string {
	if t.byExe {
		if ev.EventName == "sched_process_exec" {
			p, _ := stringArg(ev, "pathname")
			return baseName(p)
		}
		return exeName(ev)
	}
	return ev.ProcessName
}

// observe updates the tracker with fork, exec and exit events. For exec it returns the name the
// process had before the exec ("" when unknown).
func (t *commTracker) observe(ev *trace.Event) (previous string) {
	switch ev.EventName {
	case "sched_process_fork":
		// The fork event runs in the parent: its name is what the child starts with.
		// child_pid is an int32; trace.ArgVal reads it without GetIntArgumentByName's failed int
		// attempt, which allocates, on every fork (see fileOpenArgs).
		if child, err := trace.ArgVal[int32](ev.Args, "child_pid"); err == nil {
			t.set(int(child), t.name(ev))
		}
	case "sched_process_exec":
		previous = t.names[ev.HostProcessID]
		t.set(ev.HostProcessID, t.name(ev))
	case "sched_process_exit":
		// The module has no bool getter; trace.ArgVal is its typed accessor for the rest.
		if groupExit, _ := trace.ArgVal[bool](ev.Args, "process_group_exit"); groupExit {
			delete(t.names, ev.HostProcessID)
		}
	}
	return previous
}

func (t *commTracker) set(pid int, comm string) {
	if old, ok := t.names[pid]; ok && old == comm {
		return
	}
	if len(t.names) >= maxTrackedProcs {
		clear(t.names)
	}
	t.names[pid] = comm
}
