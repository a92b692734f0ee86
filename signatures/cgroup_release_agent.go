package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// CgroupReleaseAgent (TRC-1010) reports writes to, or renames onto, a cgroup v1 release_agent
// file: the program the host runs as root when a cgroup empties.
type CgroupReleaseAgent struct{ base }

// NewCgroupReleaseAgent returns the TRC-1010 signature.
func NewCgroupReleaseAgent() *CgroupReleaseAgent {
	return &CgroupReleaseAgent{newBase("TRC-1010", "cgroup_release_agent", "Cgroups release agent file modification",
		"A process wrote or replaced a cgroup release_agent file, which names a program the kernel runs as root on the host: a known container escape.",
		mitre{3, "privilege-escalation", "Escape to Host", "T1611"}, "security_file_open", "security_inode_rename").opens(opensWritten)}
}

func (s *CgroupReleaseAgent) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := writtenPath(ev); ok && baseName(p) == "release_agent" {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}
