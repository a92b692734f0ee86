package signatures

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestCommTracker_remembers_the_name_before_exec(t *testing.T) {
	tests := []struct {
		name   string
		events []trace.Event
		want   string // previous name reported by the last (exec) event
	}{
		{"forked child execs", evs(forkEvent("nginx", 10, 11), execAs("sh", 11, "/bin/sh", 0)), "nginx"},
		{"exec after exec", evs(execAs("python3", 12, "/usr/bin/python3", 0), execAs("sh", 12, "/bin/sh", 0)), "python3"},
		{"unknown process", evs(execAs("sh", 13, "/bin/sh", 0)), ""},
		{"group exit forgets", evs(forkEvent("nginx", 10, 14),
			withProc(event("sched_process_exit", arg("process_group_exit", true)), "nginx", 14), execAs("sh", 14, "/bin/sh", 0)), ""},
		{"thread exit keeps", evs(forkEvent("nginx", 10, 15),
			withProc(event("sched_process_exit", arg("process_group_exit", false)), "nginx", 15), execAs("sh", 15, "/bin/sh", 0)), "nginx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newCommTracker()
			var got string
			for i := range tt.events {
				got = tr.observe(&tt.events[i])
			}
			if got != tt.want {
				t.Errorf("previous name %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCommTracker_stays_bounded(t *testing.T) {
	tr := newCommTracker()
	for pid := 0; pid < maxTrackedProcs+10; pid++ {
		ev := execAs("sh", pid, "/bin/sh", 0)
		tr.observe(&ev)
	}
	if n := len(tr.names); n > maxTrackedProcs {
		t.Errorf("tracker holds %d processes, the bound is %d", n, maxTrackedProcs)
	}
}
