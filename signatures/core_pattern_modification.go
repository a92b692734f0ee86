package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// CorePatternModification (TRC-1011) reports writes to /proc/sys/kernel/core_pattern, which can
// make the kernel pipe core dumps to a program that runs as root on the host.
type CorePatternModification struct{ base }

// NewCorePatternModification returns the TRC-1011 signature.
func NewCorePatternModification() *CorePatternModification {
	return &CorePatternModification{newBase("TRC-1011", "core_pattern_modification", "Core dumps configuration file modification detected",
		"A process opened /proc/sys/kernel/core_pattern for writing; a pattern starting with | makes the kernel run a program as root whenever a process crashes.",
		mitre{3, "privilege-escalation", "Escape to Host", "T1611"}, "security_file_open").opens(opensWritten)}
}

func (s *CorePatternModification) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := writtenPath(ev); ok && p == "/proc/sys/kernel/core_pattern" {
		s.report(event, nil)
	}
	return nil
}
