package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// ProcKcoreRead (TRC-1021) reports reads of /proc/kcore, the live memory of the kernel.
type ProcKcoreRead struct{ base }

// NewProcKcoreRead returns the TRC-1021 signature.
func NewProcKcoreRead() *ProcKcoreRead {
	return &ProcKcoreRead{newBase("TRC-1021", "proc_kcore_read", "Kernel memory read",
		"A process opened /proc/kcore, the kernel's memory as an ELF core file; it can be searched for secrets or used to plan a kernel exploit.",
		mitre{2, "credential-access", "OS Credential Dumping", "T1003"}, "security_file_open").opens(domain.OpenInterest{Names: []string{"kcore"}})}
}

func (s *ProcKcoreRead) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := readPath(ev); ok && p == "/proc/kcore" {
		s.report(event, nil)
	}
	return nil
}
