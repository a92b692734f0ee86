package signatures

import (
	"strconv"

	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const (
	modeSetuid = 0o4000
	modeExec   = 0o111
)

// SetuidBinaryCreated (EXT-008) reports chmod calls that make an executable setuid, the classic
// backdoor for getting root back later.
type SetuidBinaryCreated struct{ base }

// NewSetuidBinaryCreated returns the EXT-008 signature.
func NewSetuidBinaryCreated() *SetuidBinaryCreated {
	return &SetuidBinaryCreated{newBase("EXT-008", "setuid_binary_created", "Setuid executable created",
		"A process set the setuid bit on an executable outside a package install; a setuid-root copy of a shell or helper hands root to whoever runs it.",
		mitre{2, "privilege-escalation", "Abuse Elevation Control Mechanism: Setuid and Setgid", "T1548.001"}, "chmod", "fchmodat")}
}

func (s *SetuidBinaryCreated) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "chmod" && ev.EventName != "fchmodat" {
		return nil
	}
	// mode is a uint16 (mode_t), which GetUintArgumentByName does not take.
	mode, err := trace.ArgVal[uint16](ev.Args, "mode")
	if err != nil || mode&modeSetuid == 0 || mode&modeExec == 0 || ev.ReturnValue < 0 || isPackageManager(ev.ProcessName) {
		return nil
	}
	p, _ := ev.GetStringArgumentByName("pathname")
	s.report(event, map[string]interface{}{"pathname": p, "mode": "0" + strconv.FormatUint(uint64(mode&0o7777), 8), "uid": ev.UserID})
	return nil
}
