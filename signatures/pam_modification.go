package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// PamModification (EXT-003) reports changes to PAM configuration or PAM modules, which decide who
// may log in and see every password typed.
type PamModification struct{ base }

// NewPamModification returns the EXT-003 signature.
func NewPamModification() *PamModification {
	return &PamModification{newBase("EXT-003", "pam_modification", "PAM configuration or module modification detected",
		"A PAM configuration file or PAM module was written or replaced outside a package upgrade; a rogue PAM module can accept a master password or record every password typed.",
		mitre{2, "persistence", "Modify Authentication Process: Pluggable Authentication Modules", "T1556.003"},
		"security_file_open", "security_inode_rename").opens(opensWritten)}
}

func (s *PamModification) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if key, value, ok := persistenceTarget(ev, "", isPamPath); ok {
		s.report(event, map[string]interface{}{key: value})
	}
	return nil
}

func isPamPath(p string) bool {
	if p == "/etc/pam.conf" || underDir(p, "/etc/pam.d/") {
		return true
	}
	// /lib/security/, /lib64/security/, /usr/lib/x86_64-linux-gnu/security/ ...
	if !strings.HasPrefix(p, "/lib") && !strings.HasPrefix(p, "/usr/lib") {
		return false
	}
	b := baseName(p)
	return strings.HasSuffix(p[:len(p)-len(b)], "/security/") && strings.HasSuffix(b, ".so")
}
