package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// RcdModification (TRC-1026) reports changes to SysV init scripts and rc.local, and runs of
// update-rc.d, all ways to start a program at every boot.
type RcdModification struct{ base }

// NewRcdModification returns the TRC-1026 signature.
func NewRcdModification() *RcdModification {
	return &RcdModification{newBase("TRC-1026", "rcd_modification", "Rcd modification detected",
		"An init script or rc.local was written or replaced, or update-rc.d was run, so that a program starts at every boot.",
		mitre{2, "persistence", "RC Scripts", "T1037.004"}, "security_file_open", "security_inode_rename", "sched_process_exec").opens(opensWritten)}
}

func (s *RcdModification) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if key, value, ok := persistenceTarget(ev, "update-rc.d", isRcPath); ok {
		s.report(event, map[string]interface{}{key: value})
	}
	return nil
}

func isRcPath(p string) bool {
	if !strings.HasPrefix(p, "/etc/") {
		return false
	}
	if p == "/etc/rc.local" || p == "/etc/rc.d/rc.local" || underDir(p, "/etc/init.d/") || underDir(p, "/etc/rc.d/init.d/") {
		return true
	}
	// /etc/rc0.d/ ... /etc/rc6.d/, /etc/rcS.d/ and the same under /etc/rc.d/
	rest := strings.TrimPrefix(p[len("/etc/"):], "rc.d/")
	return len(rest) > len("rcX.d/") && strings.HasPrefix(rest, "rc") && rest[3:6] == ".d/"
}
