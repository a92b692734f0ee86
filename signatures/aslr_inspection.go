package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// AslrInspection (TRC-109) reports reads of the kernel's ASLR setting, a step in planning
// memory-corruption exploits.
type AslrInspection struct{ base }

// NewAslrInspection returns the TRC-109 signature.
func NewAslrInspection() *AslrInspection {
	return &AslrInspection{newBase("TRC-109", "aslr_inspection", "ASLR inspection detected",
		"A process read /proc/sys/kernel/randomize_va_space to learn whether address space layout randomization is on, which exploit kits check before choosing a technique.",
		mitre{0, "privilege-escalation", "Exploitation for Privilege Escalation", "T1068"}, "security_file_open").opens(domain.OpenInterest{Names: []string{"randomize_va_space"}})}
}

func (s *AslrInspection) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := readPath(ev); ok && p == "/proc/sys/kernel/randomize_va_space" {
		s.report(event, nil)
	}
	return nil
}
