package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// IllegitimateShell (TRC-1016) reports a web server process that turns into a shell: the sign of
// a web shell or of a remote code execution in the server.
type IllegitimateShell struct {
	base
	procs commTracker
}

// NewIllegitimateShell returns the TRC-1016 signature.
func NewIllegitimateShell() *IllegitimateShell {
	return &IllegitimateShell{base: newBase("TRC-1016", "illegitimate_shell", "Web server spawned a shell",
		"A web server process started a shell; servers do not need shells to serve requests, so this points at a web shell or a command injection.",
		mitre{2, "initial-access", "Exploit Public-Facing Application", "T1190"},
		"sched_process_exec", "sched_process_fork", "sched_process_exit"), procs: newCommTracker()}
}

func (s *IllegitimateShell) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	previous := s.procs.observe(ev)
	if ev.EventName != "sched_process_exec" || !isWebServer(previous) {
		return nil
	}
	p, _ := stringArg(ev, "pathname")
	if isShell(baseName(p)) {
		s.report(event, map[string]interface{}{"web server": previous, "shell": p})
	}
	return nil
}

func isWebServer(comm string) bool {
	switch comm {
	case "nginx", "httpd", "httpd-foregroun", "http-nio", "lighttpd", "apache", "apache2", "caddy", "php-fpm", "uwsgi", "gunicorn":
		return true
	}
	return false
}
