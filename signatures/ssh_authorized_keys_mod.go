package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// SSHAuthorizedKeysMod (EXT-002) reports writes to, or renames onto, an authorized_keys file, the
// simplest way to keep SSH access to a machine.
type SSHAuthorizedKeysMod struct{ base }

// NewSSHAuthorizedKeysMod returns the EXT-002 signature.
func NewSSHAuthorizedKeysMod() *SSHAuthorizedKeysMod {
	return &SSHAuthorizedKeysMod{newBase("EXT-002", "ssh_authorized_keys_mod", "SSH authorized_keys modification detected",
		"An SSH authorized_keys file was written or replaced; a key added there grants whoever holds it a login without a password.",
		mitre{2, "persistence", "Account Manipulation: SSH Authorized Keys", "T1098.004"}, "security_file_open", "security_inode_rename").opens(opensWritten)}
}

func (s *SSHAuthorizedKeysMod) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	p, ok := writtenPath(ev)
	if !ok {
		return nil
	}
	b := baseName(p)
	if (b == "authorized_keys" || b == "authorized_keys2") && strings.HasSuffix(p[:len(p)-len(b)], "/.ssh/") {
		s.report(event, map[string]interface{}{"pathname": p})
	}
	return nil
}
