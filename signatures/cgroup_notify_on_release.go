package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// CgroupNotifyOnRelease (TRC-106) reports writes to a cgroup v1 notify_on_release file, the first
// half of the release_agent container escape.
type CgroupNotifyOnRelease struct{ base }

// NewCgroupNotifyOnRelease returns the TRC-106 signature.
func NewCgroupNotifyOnRelease() *CgroupNotifyOnRelease {
	return &CgroupNotifyOnRelease{newBase("TRC-106", "cgroup_notify_on_release", "Cgroups notify_on_release file modification",
		"A process opened a cgroup notify_on_release file for writing; with release_agent this makes the host run a program of the attacker's choice when the cgroup empties.",
		mitre{3, "privilege-escalation", "Escape to Host", "T1611"}, "security_file_open").opens(opensWritten)}
}

func (s *CgroupNotifyOnRelease) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := writtenPath(ev); ok && baseName(p) == "notify_on_release" {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}
