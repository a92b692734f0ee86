package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

const (
	ptracePokeText = 4 // PTRACE_POKETEXT
	ptracePokeData = 5 // PTRACE_POKEDATA
)

// PtraceCodeInjection (TRC-103) reports ptrace writes into another process's memory.
type PtraceCodeInjection struct{ base }

// NewPtraceCodeInjection returns the TRC-103 signature.
func NewPtraceCodeInjection() *PtraceCodeInjection {
	return &PtraceCodeInjection{newBase("TRC-103", "ptrace_code_injection", "Code injection via ptrace detected",
		"A process used ptrace(PTRACE_POKETEXT/POKEDATA) to write into the memory of another process, a way to run code inside it unnoticed.",
		mitre{3, "defense-evasion", "Ptrace System Calls", "T1055.008"}, "ptrace")}
}

func (s *PtraceCodeInjection) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "ptrace" {
		return nil
	}
	req, err := intArg(ev, "request")
	if err != nil || (req != ptracePokeText && req != ptracePokeData) {
		return nil
	}
	name := "PTRACE_POKETEXT"
	if req == ptracePokeData {
		name = "PTRACE_POKEDATA"
	}
	pid, _ := intArg(ev, "pid")
	s.report(event, map[string]interface{}{"ptrace request": name, "target pid": pid})
	return nil
}
