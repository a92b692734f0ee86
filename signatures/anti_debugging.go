package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

const ptraceTraceMe = 0 // PTRACE_TRACEME

// AntiDebugging (TRC-102) reports ptrace(PTRACE_TRACEME): a process makes its parent its tracer,
// which keeps a real debugger from attaching later.
type AntiDebugging struct{ base }

// NewAntiDebugging returns the TRC-102 signature.
func NewAntiDebugging() *AntiDebugging {
	return &AntiDebugging{newBase("TRC-102", "anti_debugging", "Anti-debugging detected",
		"A process called ptrace(PTRACE_TRACEME) so that no debugger can attach to it. Malware does this to resist analysis.",
		mitre{1, "defense-evasion", "Debugger Evasion", "T1622"}, "ptrace")}
}

func (s *AntiDebugging) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "ptrace" {
		return nil
	}
	if req, err := intArg(ev, "request"); err == nil && req == ptraceTraceMe {
		s.report(event, map[string]interface{}{"request": "PTRACE_TRACEME"})
	}
	return nil
}
