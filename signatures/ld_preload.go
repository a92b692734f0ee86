package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

const ldSoPreload = "/etc/ld.so.preload"

// LdPreload (TRC-107) reports a program started with LD_PRELOAD, and writes or renames onto
// /etc/ld.so.preload, both of which load attacker code into processes. Unlike Tracee it ignores
// LD_LIBRARY_PATH, which build tools and wrappers set routinely.
type LdPreload struct{ base }

// NewLdPreload returns the TRC-107 signature.
func NewLdPreload() *LdPreload {
	return &LdPreload{newBase("TRC-107", "ld_preload", "LD_PRELOAD code injection detected",
		"A process was started with LD_PRELOAD, or /etc/ld.so.preload was written or replaced; either makes the dynamic loader inject a library into programs.",
		mitre{2, "persistence", "Dynamic Linker Hijacking", "T1574.006"},
		"sched_process_exec", "security_file_open", "security_inode_rename").opens(opensWritten)}
}

func (s *LdPreload) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	switch ev.EventName {
	case "sched_process_exec":
		env, _ := stringsArg(ev, "env")
		for _, kv := range env {
			if strings.HasPrefix(kv, "LD_PRELOAD=") && len(kv) > len("LD_PRELOAD=") {
				s.report(event, map[string]interface{}{"LD_PRELOAD": kv[len("LD_PRELOAD="):]})
				return nil
			}
		}
	case "security_file_open":
		if path, flags, ok := fileOpenArgs(ev); ok && path == ldSoPreload && helpers.IsFileWrite(flags) {
			s.report(event, map[string]interface{}{"pathname": path, "flags": flags})
		}
	case "security_inode_rename":
		if newPath, _ := stringArg(ev, "new_path"); newPath == ldSoPreload {
			oldPath, _ := stringArg(ev, "old_path")
			s.report(event, map[string]interface{}{"old_path": oldPath, "new_path": newPath})
		}
	}
	return nil
}
