package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// SudoersModification (TRC-1028) reports writes to, or renames onto, sudo's configuration.
type SudoersModification struct{ base }

// NewSudoersModification returns the TRC-1028 signature.
func NewSudoersModification() *SudoersModification {
	return &SudoersModification{newBase("TRC-1028", "sudoers_modification", "Sudoers file modification detected",
		"The sudoers file or a file in /etc/sudoers.d was written or replaced, which can grant a user root without a password.",
		mitre{2, "privilege-escalation", "Sudo and Sudo Caching", "T1548.003"}, "security_file_open", "security_inode_rename").opens(opensWritten)}
}

func (s *SudoersModification) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if key, value, ok := persistenceTarget(ev, "", isSudoersPath); ok {
		s.report(event, map[string]interface{}{key: value})
	}
	return nil
}

func isSudoersPath(p string) bool { return p == "/etc/sudoers" || underDir(p, "/etc/sudoers.d/") }
