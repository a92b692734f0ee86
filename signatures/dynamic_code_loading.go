package signatures

import (
	"maps"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// jitSeverity is the severity of writable+executable anonymous memory: every JIT engine (HotSpot's
// code cache, PCRE2's JIT in `git grep -P`, V8, LuaJIT) maps it, so alone it is a hint, not an alert.
const jitSeverity = 1

// DynamicCodeLoading (TRC-104) reports memory that is writable and executable at once, or that
// turns executable after being written: unpacking or injecting code at run time. Code of a mapped
// file made writable (patching a loaded library or program, how in-process hooks and injected
// payloads work) keeps the signature's severity; anonymous memory, which JIT engines use, is
// reported at jitSeverity.
type DynamicCodeLoading struct {
	base
	jitMD detect.SignatureMetadata
}

// NewDynamicCodeLoading returns the TRC-104 signature.
func NewDynamicCodeLoading() *DynamicCodeLoading {
	s := &DynamicCodeLoading{base: newBase("TRC-104", "dynamic_code_loading", "Dynamic code loading detected",
		"A process mapped memory both writable and executable, or made written memory executable; packers and in-memory payloads do this to run code that never touched the disk. Code of a mapped file made writable (patching a loaded library) is reported at severity 2; anonymous memory, which every JIT engine uses, at severity 1.",
		mitre{2, "defense-evasion", "Software Packing", "T1027.002"}, "mem_prot_alert")}
	s.jitMD = s.md
	s.jitMD.Properties = maps.Clone(s.md.Properties)
	s.jitMD.Properties["Severity"] = jitSeverity
	return s
}

func (s *DynamicCodeLoading) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "mem_prot_alert" {
		return nil
	}
	alert, err := trace.ArgVal[uint32](ev.Args, "alert")
	if err != nil {
		return nil
	}
	// Making fresh writable memory executable (ProtAlertMprotectToX) is what every JIT does; only
	// simultaneous W+X and write-then-execute of executable memory are reported.
	switch a := trace.MemProtAlert(alert); a {
	case trace.ProtAlertMmapWX, trace.ProtAlertMprotectXToWX, trace.ProtAlertMprotectWXToX:
		file, _ := stringArg(ev, "pathname")
		data := map[string]interface{}{"alert": a.String()}
		if file == "" {
			data["memory"] = "anonymous (JIT-like)"
			if s.cb != nil {
				s.cb(&detect.Finding{SigMetadata: s.jitMD, Event: event, Data: data})
			}
			return nil
		}
		data["pathname"] = file
		s.report(event, data)
	}
	return nil
}
