package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ScheduledTaskMod (TRC-1027) reports changes to cron and anacron tables and runs of crontab.
type ScheduledTaskMod struct{ base }

// NewScheduledTaskMod returns the TRC-1027 signature.
func NewScheduledTaskMod() *ScheduledTaskMod {
	return &ScheduledTaskMod{newBase("TRC-1027", "scheduled_task_mod", "Scheduled tasks modification detected",
		"A cron or anacron table was written or replaced, or crontab was run; scheduled jobs let an intruder come back periodically.",
		mitre{2, "persistence", "Cron", "T1053.003"}, "security_file_open", "security_inode_rename", "sched_process_exec").opens(opensWritten)}
}

func (s *ScheduledTaskMod) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	key, value, ok := persistenceTarget(ev, "crontab", isCronPath)
	if ok && !(key == "command" && onlyListsCrontab(ev)) {
		s.report(event, map[string]interface{}{key: value})
	}
	return nil
}

func isCronPath(p string) bool {
	switch {
	case p == "/etc/crontab", p == "/etc/anacrontab":
		return true
	case strings.HasPrefix(p, "/etc/cron."):
		// /etc/cron.d/, /etc/cron.hourly/ ... but not /etc/cron.allow-like siblings
		return strings.IndexByte(p[len("/etc/cron."):], '/') > 0
	case underDir(p, "/var/spool/cron/"), underDir(p, "/var/spool/anacron/"):
		return true
	}
	return false
}

// onlyListsCrontab reports `crontab -l`, which reads the table without changing it.
func onlyListsCrontab(ev *trace.Event) bool {
	argv, _ := stringsArg(ev, "argv")
	for _, a := range argv[min(1, len(argv)):] {
		if a == "-l" {
			return true
		}
	}
	return false
}
