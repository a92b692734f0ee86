package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// FilelessExecution (TRC-105) reports a program executed from memory rather than from a file on
// disk: a memfd, /dev/shm or /run/shm, or a file descriptor path with no backing file.
type FilelessExecution struct{ base }

// NewFilelessExecution returns the TRC-105 signature.
func NewFilelessExecution() *FilelessExecution {
	return &FilelessExecution{newBase("TRC-105", "fileless_execution", "Fileless execution detected",
		"A program was executed from memory (memfd or shared memory) instead of a file on disk, which hides it from file-based scanning.",
		mitre{3, "defense-evasion", "Reflective Code Loading", "T1620"}, "sched_process_exec")}
}

func (s *FilelessExecution) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "sched_process_exec" {
		return nil
	}
	pathname, _ := stringArg(ev, "pathname")
	cmdpath, _ := stringArg(ev, "cmdpath")
	if strings.Contains(pathname, "memfd:runc_cloned:") {
		return nil // runc (before 1.2) re-executes a sealed memfd copy of itself at every container start
	}
	if isMemoryBacked(pathname) || (pathname == "" && isFDPath(cmdpath)) {
		s.report(event, map[string]interface{}{"pathname": pathname, "cmdpath": cmdpath})
	}
	return nil
}

// isMemoryBacked covers Tracee's memory paths plus the "/memfd:NAME (deleted)" form that d_path
// gives for memfds.
func isMemoryBacked(p string) bool {
	return helpers.IsMemoryPath(p) || strings.HasPrefix(p, "/memfd:")
}

// isFDPath reports paths that name an open file descriptor (fexecve, execveat with AT_EMPTY_PATH).
func isFDPath(p string) bool {
	if strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/proc/self/fd/") {
		return true
	}
	if !strings.HasPrefix(p, "/proc/") {
		return false
	}
	rest := p[len("/proc/"):]
	i := strings.IndexByte(rest, '/')
	return i > 0 && strings.HasPrefix(rest[i:], "/fd/")
}
