package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const (
	modeTypeMask = 0o170000 // S_IFMT
	modeSocket   = 0o140000 // S_IFSOCK
)

// ReverseShell (EXT-005) reports a shell started with a socket as its standard input: whatever
// connects to the other end drives the shell. Complements TRC-101, which sees the dup2/connect.
type ReverseShell struct {
	base
	procs commTracker
}

// NewReverseShell returns the EXT-005 signature.
func NewReverseShell() *ReverseShell {
	return &ReverseShell{base: newBase("EXT-005", "reverse_shell", "Reverse shell detected",
		"A shell was started with a socket as its standard input, so that commands come from the network; sshd and socket-activated services, which do this legitimately, are left out.",
		mitre{3, "execution", "Unix Shell", "T1059.004"}, "sched_process_exec", "sched_process_fork", "sched_process_exit"),
		procs: newCommTracker()}
}

func (s *ReverseShell) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	previous := s.procs.observe(ev)
	if ev.EventName != "sched_process_exec" {
		return nil
	}
	// stdin_type is a uint16 (an inode mode), which GetUintArgumentByName does not take.
	mode, err := trace.ArgVal[uint16](ev.Args, "stdin_type")
	if err != nil || mode&modeTypeMask != modeSocket {
		return nil
	}
	p, _ := stringArg(ev, "pathname")
	if !isShell(baseName(p)) {
		return nil
	}
	switch previous {
	case "sshd", "sshd-session", "systemd", "inetd", "xinetd", "dropbear":
		return nil // non-pty SSH sessions and socket activation hand shells a socket on purpose
	}
	stdin, _ := stringArg(ev, "stdin_path")
	s.report(event, map[string]interface{}{"shell": p, "stdin": stdin, "parent": previous})
	return nil
}
