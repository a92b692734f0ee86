package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// DefaultLoaderMod (TRC-1012) reports writes to, or renames onto, the dynamic loader (ld-linux,
// ld-musl ...) under /lib or /usr/lib.
type DefaultLoaderMod struct{ base }

// NewDefaultLoaderMod returns the TRC-1012 signature.
func NewDefaultLoaderMod() *DefaultLoaderMod {
	return &DefaultLoaderMod{newBase("TRC-1012", "default_loader_mod", "Default dynamic loader modification detected",
		"The dynamic loader, which runs before every dynamically linked program, was written or replaced; a modified loader controls every process started afterwards.",
		mitre{3, "defense-evasion", "Dynamic Linker Hijacking", "T1574.006"}, "security_file_open", "security_inode_rename").opens(opensWritten)}
}

func (s *DefaultLoaderMod) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if key, value, ok := persistenceTarget(ev, "", isLoaderPath); ok {
		s.report(event, map[string]interface{}{key: value})
	}
	return nil
}

// isLoaderPath matches /lib*/.../ld*.so* and /usr/lib*/.../ld*.so*.
func isLoaderPath(p string) bool {
	if !strings.HasPrefix(p, "/lib") && !strings.HasPrefix(p, "/usr/lib") {
		return false
	}
	b := baseName(p)
	return strings.HasPrefix(b, "ld") && strings.Contains(b, ".so")
}
