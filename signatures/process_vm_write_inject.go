package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// ProcessVMWriteInject (TRC-1025) reports process_vm_writev into another process.
type ProcessVMWriteInject struct{ base }

// NewProcessVMWriteInject returns the TRC-1025 signature.
func NewProcessVMWriteInject() *ProcessVMWriteInject {
	return &ProcessVMWriteInject{newBase("TRC-1025", "process_vm_write_inject", "Code injection via process_vm_writev",
		"A process wrote into the memory of another process with process_vm_writev, a way to inject code without ptrace.",
		mitre{3, "defense-evasion", "Process Injection", "T1055"}, "process_vm_writev")}
}

func (s *ProcessVMWriteInject) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "process_vm_writev" {
		return nil
	}
	// The pid argument is in the caller's PID namespace, like ProcessID.
	if pid, err := intArg(ev, "pid"); err == nil && pid != ev.ProcessID && pid > 0 {
		s.report(event, map[string]interface{}{"target pid": pid})
	}
	return nil
}
