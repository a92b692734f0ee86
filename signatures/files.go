package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Open flags beyond the access mode that signatures look at.
const oTrunc = 0o1000

// fileOpenArgs reads pathname and flags of a security_file_open event; ok is false when either is
// missing or of another type.
//
// flags is an int32 in Tracee v0.24's table. It is read with trace.ArgVal[int32] rather than
// GetIntArgumentByName, which tries int first and builds an error (3 allocations) before it
// finds an int32; about 22 signatures read flags on every security_file_open, the most frequent
// event, where that took the set from 1 to 64 allocations per event (BenchmarkSet_benign_events).
func fileOpenArgs(ev *trace.Event) (path string, flags int, ok bool) {
	path, err := stringArg(ev, "pathname")
	if err != nil {
		return "", 0, false
	}
	f, err := trace.ArgVal[int32](ev.Args, "flags")
	return path, int(f), err == nil
}

// writtenPath returns the file an event modifies: the path of a security_file_open with write
// access, or the destination of a security_inode_rename.
func writtenPath(ev *trace.Event) (string, bool) {
	switch ev.EventName {
	case "security_file_open":
		if p, flags, ok := fileOpenArgs(ev); ok && helpers.IsFileWrite(flags) {
			return p, true
		}
	case "security_inode_rename":
		p, err := stringArg(ev, "new_path")
		return p, err == nil
	}
	return "", false
}

// readPath returns the path of a security_file_open with read access.
func readPath(ev *trace.Event) (string, bool) {
	if ev.EventName != "security_file_open" {
		return "", false
	}
	if p, flags, ok := fileOpenArgs(ev); ok && helpers.IsFileRead(flags) {
		return p, true
	}
	return "", false
}

// underDir reports whether p is a file strictly below dir (dir ends with "/").
func underDir(p, dir string) bool {
	return len(p) > len(dir) && strings.HasPrefix(p, dir)
}

// isShell reports whether a program name is a Unix shell.
func isShell(name string) bool {
	switch name {
	case "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox":
		return true
	}
	return false
}

// persistenceTarget is what the persistence signatures look for: a write to, or rename onto, a
// path isTarget accepts, or (when tool is set) a run of the program called tool. Package managers
// are skipped. It returns the finding's data key and value.
func persistenceTarget(ev *trace.Event, tool string, isTarget func(string) bool) (key, value string, ok bool) {
	if byPackageManager(ev) {
		return "", "", false
	}
	if ev.EventName == "sched_process_exec" {
		p, _ := stringArg(ev, "pathname")
		return "command", p, tool != "" && baseName(p) == tool
	}
	p, ok := writtenPath(ev)
	return "pathname", p, ok && isTarget(p)
}
