package signatures

import (
	"maps"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// rule is a stateless signature: one predicate over the event, which returns the finding's data
// and severity. The Falco-parity detections are rules; each keeps its own ID, event name and
// MITRE technique.
type rule struct {
	base
	match func(ev *trace.Event) (data map[string]interface{}, severity int, ok bool)
}

func newRule(b base, match func(ev *trace.Event) (map[string]interface{}, int, bool)) *rule {
	return &rule{base: b, match: match}
}

func (r *rule) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if data, sev, ok := r.match(ev); ok {
		r.reportSeverity(event, data, sev)
	}
	return nil
}

// severity is the signature's own severity.
func (b *base) severity() int {
	s, _ := b.md.Properties["Severity"].(int)
	return s
}

// reportSeverity reports with the given severity; when it differs from the signature's own (lower
// on the host than in a container, say), the finding carries a copy of the metadata.
func (b *base) reportSeverity(event protocol.Event, data map[string]interface{}, severity int) {
	if b.cb == nil {
		return
	}
	md := b.md
	if severity != b.severity() {
		md.Properties = maps.Clone(md.Properties)
		md.Properties["Severity"] = severity
	}
	b.cb(&detect.Finding{SigMetadata: md, Event: event, Data: data})
}

// execArgs returns the resolved program path and argv of a sched_process_exec.
func execArgs(ev *trace.Event) (path string, argv []string, ok bool) {
	if ev.EventName != "sched_process_exec" {
		return "", nil, false
	}
	path, err := stringArg(ev, "pathname")
	if err != nil {
		return "", nil, false
	}
	argv, _ = stringsArg(ev, "argv")
	return path, argv, true
}

// programIs reports whether an exec runs a program that isName accepts, by the kernel-resolved
// file name or by argv[0] (a busybox applet, or a renamed copy started by its usual name).
func programIs(path string, argv []string, isName func(string) bool) (string, bool) {
	if b := baseName(path); isName(b) {
		return b, true
	}
	if len(argv) > 0 {
		if b := baseName(argv[0]); isName(b) {
			return b, true
		}
	}
	return "", false
}

// envValue returns the value of the first variable of env whose name isName accepts
// (case-insensitively for names given in upper case).
func envValue(env []string, name string) (string, bool) {
	for _, kv := range env {
		if len(kv) > len(name) && kv[len(name)] == '=' && strings.EqualFold(kv[:len(name)], name) {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// stdinIsTerminal reports whether an exec's standard input is a terminal (an interactive session).
func stdinIsTerminal(ev *trace.Event) bool {
	mode, err := trace.ArgVal[uint16](ev.Args, "stdin_type")
	if err != nil || mode&0o170000 != 0o020000 {
		return false
	}
	p, _ := stringArg(ev, "stdin_path")
	return strings.HasPrefix(p, "/dev/pts/") || strings.HasPrefix(p, "/dev/tty") || p == "/dev/console"
}

func nameIn(names ...string) func(string) bool {
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return func(s string) bool { _, ok := set[s]; return ok }
}

// hostOrContainer picks a severity by where the event happened.
func hostOrContainer(ev *trace.Event, host, container int) int {
	if inContainer(ev) {
		return container
	}
	return host
}
