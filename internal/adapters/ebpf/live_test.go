package ebpf

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestSource_exec(t *testing.T) {
	l := requireLive(t)
	since := l.mark()
	if err := runHelper("exec-true"); err != nil {
		t.Fatal(err)
	}
	ev := l.waitFor(t, since, func(e *trace.Event) bool {
		return e.EventName == "sched_process_exec" && e.ProcessName == "true"
	})
	t.Logf("%+v", ev)
}
