package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// HostNamespaceEntry (EXT-006) reports setns() into the namespaces of PID 1 (what
// `nsenter --target 1` does): from a container with the host's PID namespace this is a full escape.
// It pairs an open of /proc/1/ns/* with a later successful setns by the same process.
type HostNamespaceEntry struct {
	base
	opened map[int]string // host PID -> the /proc/1/ns file it opened last
}

// NewHostNamespaceEntry returns the EXT-006 signature.
func NewHostNamespaceEntry() *HostNamespaceEntry {
	return &HostNamespaceEntry{base: newBase("EXT-006", "host_namespace_entry", "Process entered the namespaces of PID 1",
		"A process opened a namespace of PID 1 under /proc/1/ns and joined it with setns, as nsenter --target 1 does; from a container this leaves the container for the host.",
		mitre{3, "privilege-escalation", "Escape to Host", "T1611"}, "security_file_open", "setns", "sched_process_exit").opens(domain.OpenInterest{Namespaces: true}),
		opened: map[int]string{}}
}

func (s *HostNamespaceEntry) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	switch ev.EventName {
	case "security_file_open":
		p, _ := stringArg(ev, "syscall_pathname")
		if !strings.HasPrefix(p, "/proc/1/ns/") {
			p, _ = stringArg(ev, "pathname")
		}
		if strings.HasPrefix(p, "/proc/1/ns/") {
			if len(s.opened) >= maxTrackedContainers {
				clear(s.opened)
			}
			s.opened[ev.HostProcessID] = p
		}
	case "setns":
		p, seen := s.opened[ev.HostProcessID]
		if !seen || ev.ReturnValue < 0 {
			return nil
		}
		nstype, _ := intArg(ev, "nstype")
		s.report(event, map[string]interface{}{"namespace": p, "nstype": nstype})
	case "sched_process_exit":
		delete(s.opened, ev.HostProcessID)
	}
	return nil
}
