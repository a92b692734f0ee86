package signatures

import (
	"strconv"

	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const (
	modeSetuid = 0o4000
	modeSetgid = 0o2000
)

// SetuidBinaryCreated (EXT-008) reports chmod calls that set the setuid or setgid bit, the classic
// backdoor for getting privileges back later. Any mode counts: `chmod g+s` and modes without an
// execute bit (made executable by a later chmod, or a directory whose new files inherit the group)
// are set up the same way.
type SetuidBinaryCreated struct{ base }

// NewSetuidBinaryCreated returns the EXT-008 signature.
func NewSetuidBinaryCreated() *SetuidBinaryCreated {
	return &SetuidBinaryCreated{newBase("EXT-008", "setuid_binary_created", "Setuid or setgid bit set",
		"A process other than a package manager (by executable path) set the setuid or setgid bit on a file or directory; a setuid-root or setgid copy of a shell or helper hands its owner's privileges to whoever runs it.",
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
	if err != nil || mode&(modeSetuid|modeSetgid) == 0 || ev.ReturnValue < 0 || byPackageManager(ev) {
		return nil
	}
	p, _ := stringArg(ev, "pathname")
	s.report(event, map[string]interface{}{"pathname": p, "mode": "0" + strconv.FormatUint(uint64(mode&0o7777), 8), "uid": ev.UserID, "bits": specialBits(mode)})
	return nil
}

func specialBits(mode uint16) string {
	switch {
	case mode&modeSetuid != 0 && mode&modeSetgid != 0:
		return "setuid,setgid"
	case mode&modeSetuid != 0:
		return "setuid"
	}
	return "setgid"
}
