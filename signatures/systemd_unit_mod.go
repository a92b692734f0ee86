package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// SystemdUnitMod (EXT-004) reports new or changed systemd unit files and drop-ins outside package
// upgrades.
type SystemdUnitMod struct{ base }

// NewSystemdUnitMod returns the EXT-004 signature.
func NewSystemdUnitMod() *SystemdUnitMod {
	return &SystemdUnitMod{newBase("EXT-004", "systemd_unit_mod", "Systemd unit modification detected",
		"A systemd unit, timer or drop-in was written or replaced outside a package upgrade; a unit starts its program at every boot or on a schedule.",
		mitre{2, "persistence", "Create or Modify System Process: Systemd Service", "T1543.002"},
		"security_file_open", "security_inode_rename").opens(opensWritten)}
}

var systemdUnitDirs = []string{
	"/etc/systemd/system/", "/etc/systemd/user/", "/usr/lib/systemd/system/", "/usr/lib/systemd/user/",
	"/lib/systemd/system/", "/lib/systemd/user/", "/run/systemd/system/", "/usr/local/lib/systemd/system/",
}

func (s *SystemdUnitMod) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if key, value, ok := persistenceTarget(ev, "", isUnitFile); ok {
		s.report(event, map[string]interface{}{key: value})
	}
	return nil
}

func isUnitFile(p string) bool {
	i := strings.LastIndexByte(p, '.')
	if i < 0 {
		return false
	}
	switch p[i:] {
	case ".service", ".timer", ".socket", ".path", ".mount", ".target", ".conf":
	default:
		return false
	}
	if strings.Contains(p, "/.config/systemd/user/") {
		return true
	}
	for _, d := range systemdUnitDirs {
		if underDir(p, d) {
			return true
		}
	}
	return false
}
