package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// SystemRequestKeyMod (TRC-1031) reports writes to the magic SysRq configuration or trigger.
type SystemRequestKeyMod struct{ base }

// NewSystemRequestKeyMod returns the TRC-1031 signature.
func NewSystemRequestKeyMod() *SystemRequestKeyMod {
	return &SystemRequestKeyMod{newBase("TRC-1031", "system_request_key_mod", "System request key configuration modification",
		"A process opened /proc/sys/kernel/sysrq or /proc/sysrq-trigger for writing; SysRq can crash, reboot or dump the host from any process that may write there.",
		mitre{3, "impact", "System Shutdown/Reboot", "T1529"}, "security_file_open").opens(opensWritten)}
}

func (s *SystemRequestKeyMod) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if p, ok := writtenPath(ev); ok && (p == "/proc/sys/kernel/sysrq" || p == "/proc/sysrq-trigger") {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}
