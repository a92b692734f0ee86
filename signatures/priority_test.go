package signatures

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func ptraceEvent(request int64) trace.Event {
	return event("ptrace", arg("request", request), arg("pid", int32(0)), arg("addr", trace.Pointer(0)), arg("data", trace.Pointer(0)))
}

func TestAntiDebugging(t *testing.T) {
	runCases(t, func() detect.Signature { return NewAntiDebugging() }, []sigCase{
		{name: "PTRACE_TRACEME is reported", events: []trace.Event{ptraceEvent(0)}, findings: 1,
			data: map[string]interface{}{"request": "PTRACE_TRACEME"}},
		{name: "request as int32 from JSON replay", events: []trace.Event{
			event("ptrace", arg("request", int32(0)))}, findings: 1},
		{name: "PTRACE_ATTACH is not anti-debugging", events: []trace.Event{ptraceEvent(16)}},
		{name: "PTRACE_PEEKDATA is ignored", events: []trace.Event{ptraceEvent(2)}},
		{name: "missing request argument", events: []trace.Event{event("ptrace")}},
		{name: "other events are ignored", events: []trace.Event{openEvent("/etc/passwd", 0)}},
	})
}

func TestFilelessExecution(t *testing.T) {
	runCases(t, func() detect.Signature { return NewFilelessExecution() }, []sigCase{
		{name: "memfd in Tracee form", events: []trace.Event{execEvent("memfd:payload", nil, nil)}, findings: 1,
			data: map[string]interface{}{"pathname": "memfd:payload"}},
		{name: "memfd in d_path form", events: []trace.Event{execEvent("/memfd:x (deleted)", nil, nil)}, findings: 1},
		{name: "binary in /dev/shm", events: []trace.Event{execEvent("/dev/shm/miner", nil, nil)}, findings: 1},
		{name: "binary in /run/shm", events: []trace.Event{execEvent("/run/shm/x", nil, nil)}, findings: 1},
		{name: "fd path with no file behind it", events: []trace.Event{
			event("sched_process_exec", arg("cmdpath", "/proc/self/fd/3"), arg("pathname", ""))}, findings: 1},
		{name: "fd path of another pid", events: []trace.Event{
			event("sched_process_exec", arg("cmdpath", "/proc/42/fd/7"), arg("pathname", ""))}, findings: 1},
		{name: "fexecve of a regular file is fine", events: []trace.Event{
			event("sched_process_exec", arg("cmdpath", "/dev/fd/3"), arg("pathname", "/usr/lib/systemd/systemd-executor"))}},
		{name: "ordinary binary", events: []trace.Event{execEvent("/usr/bin/ls", nil, nil)}},
		{name: "runc's self-protecting memfd copy", events: []trace.Event{execEvent("memfd:runc_cloned:/proc/self/exe", nil, nil)}},
		{name: "shm lookalike outside /dev", events: []trace.Event{execEvent("/home/u/dev/shm/x", nil, nil)}},
	})
}

func TestLdPreload(t *testing.T) {
	const wr, rd = int32(0o1), int32(0)
	runCases(t, func() detect.Signature { return NewLdPreload() }, []sigCase{
		{name: "LD_PRELOAD in environment", events: []trace.Event{
			execEvent("/usr/bin/id", nil, []string{"PATH=/bin", "LD_PRELOAD=/tmp/evil.so"})}, findings: 1,
			data: map[string]interface{}{"LD_PRELOAD": "/tmp/evil.so"}},
		{name: "empty LD_PRELOAD is harmless", events: []trace.Event{
			execEvent("/usr/bin/id", nil, []string{"LD_PRELOAD="})}},
		{name: "LD_LIBRARY_PATH is not reported", events: []trace.Event{
			execEvent("/usr/bin/id", nil, []string{"LD_LIBRARY_PATH=/opt/lib"})}},
		{name: "no environment", events: []trace.Event{execEvent("/usr/bin/id", nil, nil)}},
		{name: "write to /etc/ld.so.preload", events: []trace.Event{openEvent("/etc/ld.so.preload", wr|0o1000)}, findings: 1,
			data: map[string]interface{}{"pathname": "/etc/ld.so.preload"}},
		{name: "read-write open of /etc/ld.so.preload", events: []trace.Event{openEvent("/etc/ld.so.preload", 0o2)}, findings: 1},
		{name: "the loader reads /etc/ld.so.preload", events: []trace.Event{openEvent("/etc/ld.so.preload", rd)}},
		{name: "write elsewhere", events: []trace.Event{openEvent("/tmp/ld.so.preload", wr)}},
		{name: "rename onto /etc/ld.so.preload", events: []trace.Event{renameEvent("/tmp/x", "/etc/ld.so.preload")}, findings: 1,
			data: map[string]interface{}{"old_path": "/tmp/x"}},
		{name: "rename away from it", events: []trace.Event{renameEvent("/etc/ld.so.preload", "/tmp/x")}},
	})
}

func BenchmarkSignature_anti_debugging(b *testing.B) {
	benchSignature(b, NewAntiDebugging(), ptraceEvent(0), ptraceEvent(16))
}

func BenchmarkSignature_fileless_execution(b *testing.B) {
	benchSignature(b, NewFilelessExecution(), execEvent("memfd:x", nil, nil), execEvent("/usr/bin/ls", nil, nil))
}

func BenchmarkSignature_ld_preload(b *testing.B) {
	env := []string{"PATH=/usr/bin", "HOME=/root", "TERM=xterm", "LANG=C.UTF-8", "SHELL=/bin/bash", "USER=root"}
	benchSignature(b, NewLdPreload(), execEvent("/usr/bin/id", nil, append(env, "LD_PRELOAD=/tmp/x.so")),
		execEvent("/usr/bin/id", nil, env))
}
