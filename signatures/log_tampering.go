package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

const varLog = "/var/log/"

// LogTampering (EXT-009) reports log files under /var/log truncated (opened with O_TRUNC, or
// truncate/ftruncate: `: > FILE`, `truncate -s0 FILE`) or deleted, by anything but the log
// daemons and logrotate.
type LogTampering struct{ base }

// NewLogTampering returns the EXT-009 signature.
func NewLogTampering() *LogTampering {
	return &LogTampering{newBase("EXT-009", "log_tampering", "Log file truncated or deleted",
		"A file under /var/log was truncated or deleted by a process that does not manage logs; intruders wipe logs to erase their traces.",
		mitre{2, "defense-evasion", "Indicator Removal: Clear Linux or Mac System Logs", "T1070.002"},
		"security_file_open", "do_truncate", "unlink", "unlinkat").opens(opensWritten)}
}

func (s *LogTampering) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	var p, action string
	switch ev.EventName {
	case "security_file_open":
		path, flags, ok := fileOpenArgs(ev)
		if !ok || !helpers.IsFileWrite(flags) || flags&oTrunc == 0 {
			return nil
		}
		p, action = path, "truncated"
	case "do_truncate":
		p, _ = stringArg(ev, "pathname")
		action = "truncated"
	case "unlink", "unlinkat":
		if ev.ReturnValue < 0 {
			return nil
		}
		// unlinkat paths relative to a directory fd cannot be placed; absolute ones can.
		p, _ = stringArg(ev, "pathname")
		action = "deleted"
	default:
		return nil
	}
	if !underDir(p, varLog) || trustedExe(ev, isLogManager) {
		return nil
	}
	s.report(event, map[string]interface{}{"pathname": p, "action": action})
	return nil
}

func isLogManager(comm string) bool {
	switch comm {
	case "logrotate", "rsyslogd", "systemd-journal", "journalctl", "syslog-ng", "syslogd",
		"dpkg", "apt", "apt-get", "unattended-upgrade", "systemd-tmpfiles", "savelog":
		return true
	}
	return false
}
