package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// ProcMemAccess (TRC-1023) reports reads of a process's memory through /proc/<pid>/mem, the way
// credential dumpers lift secrets out of running programs.
type ProcMemAccess struct{ base }

// NewProcMemAccess returns the TRC-1023 signature.
func NewProcMemAccess() *ProcMemAccess {
	return &ProcMemAccess{newBase("TRC-1023", "proc_mem_access", "Process memory access detected",
		"A process opened /proc/<pid>/mem for reading, which exposes the whole memory of the target, passwords and keys included.",
		mitre{3, "credential-access", "Proc Filesystem", "T1003.007"}, "security_file_open").opens(domain.OpenInterest{Names: []string{"mem"}})}
}

func (s *ProcMemAccess) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := readPath(ev); ok && isProcMem(p) {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}

// isProcMem matches /proc/<pid>/mem, /proc/self/mem and /proc/<pid>/task/<tid>/mem.
func isProcMem(p string) bool {
	if !strings.HasPrefix(p, "/proc/") || !strings.HasSuffix(p, "/mem") {
		return false
	}
	mid := p[len("/proc/") : len(p)-len("/mem")]
	if mid == "self" || mid == "thread-self" {
		return true
	}
	if i := strings.Index(mid, "/task/"); i > 0 {
		return isDigits(mid[:i]) && isDigits(mid[i+len("/task/"):])
	}
	return isDigits(mid)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
