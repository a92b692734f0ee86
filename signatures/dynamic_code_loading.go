package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DynamicCodeLoading (TRC-104) reports memory that is writable and executable at once, or that
// turns executable after being written: unpacking or injecting code at run time.
type DynamicCodeLoading struct{ base }

// NewDynamicCodeLoading returns the TRC-104 signature.
func NewDynamicCodeLoading() *DynamicCodeLoading {
	return &DynamicCodeLoading{newBase("TRC-104", "dynamic_code_loading", "Dynamic code loading detected",
		"A process mapped memory both writable and executable, or made written memory executable; packers and in-memory payloads do this to run code that never touched the disk.",
		mitre{2, "defense-evasion", "Software Packing", "T1027.002"}, "mem_prot_alert")}
}

func (s *DynamicCodeLoading) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "mem_prot_alert" {
		return nil
	}
	alert, err := ev.GetUintArgumentByName("alert")
	if err != nil {
		return nil
	}
	// Making fresh writable memory executable (ProtAlertMprotectToX) is what every JIT does; only
	// simultaneous W+X and write-then-execute of executable memory are reported.
	switch a := trace.MemProtAlert(alert); a {
	case trace.ProtAlertMmapWX, trace.ProtAlertMprotectXToWX, trace.ProtAlertMprotectWXToX:
		s.report(event, map[string]interface{}{"alert": a.String()})
	}
	return nil
}
