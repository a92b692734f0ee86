package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// ProcMemCodeInjection (TRC-1024) reports writes to a process's memory through /proc/<pid>/mem.
type ProcMemCodeInjection struct{ base }

// NewProcMemCodeInjection returns the TRC-1024 signature.
func NewProcMemCodeInjection() *ProcMemCodeInjection {
	return &ProcMemCodeInjection{newBase("TRC-1024", "proc_mem_code_injection", "Code injection via /proc/<pid>/mem",
		"A process opened /proc/<pid>/mem for writing, which lets it overwrite the code of the target and run its own inside it.",
		mitre{3, "defense-evasion", "Proc Memory", "T1055.009"}, "security_file_open").opens(opensWritten)}
}

func (s *ProcMemCodeInjection) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "security_file_open" {
		return nil
	}
	if p, ok := writtenPath(ev); ok && isProcMem(p) {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}
