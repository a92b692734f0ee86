package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// SchedDebugRecon (TRC-1029) reports reads of the scheduler's debug file, which lists every task
// on the host, including those of other containers.
type SchedDebugRecon struct{ base }

// NewSchedDebugRecon returns the TRC-1029 signature.
func NewSchedDebugRecon() *SchedDebugRecon {
	return &SchedDebugRecon{newBase("TRC-1029", "sched_debug_recon", "sched_debug CPU file was read",
		"A process read the scheduler debug file, which names every task on the host with its CPU and cgroup, including tasks outside the reader's container.",
		mitre{1, "discovery", "Container and Resource Discovery", "T1613"}, "security_file_open").opens(domain.OpenInterest{Names: []string{"sched_debug", "debug"}})}
}

func (s *SchedDebugRecon) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	p, ok := readPath(ev)
	if ok && (p == "/proc/sched_debug" || p == "/sys/kernel/debug/sched/debug" || p == "/sys/kernel/debug/sched_debug") {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}
