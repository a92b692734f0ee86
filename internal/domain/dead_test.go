package domain

import (
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/types/detect"
)

func TestDeadSelections(t *testing.T) {
	base := BaseEvents()
	for i := range base {
		if base[i].Name == "magic_write" {
			base[i].Unavailable = "not here"
		}
	}
	sig := func(event string, selects ...string) LoadedSignature {
		var sels []detect.SignatureEventSelector
		for _, s := range selects {
			sels = append(sels, detect.SignatureEventSelector{Source: "tracee", Name: s})
		}
		return LoadedSignature{Info: SignatureInfo{Metadata: detect.SignatureMetadata{ID: "X-" + event, EventName: event},
			Selectors: sels, Origin: "test.so"}}
	}
	cat := NewCatalog(SignatureEvents([]LoadedSignature{
		sig("fine", "openat", "sched_process_exec"),
		sig("typo", "sched_proces_exec"),
		sig("unavailable", "magic_write", "openat"),
		sig("chained", "fine"),
	}), base)
	got := DeadSelections(cat)
	tests := []struct{ sig, event, reason, suggestion string }{
		{"typo", "sched_proces_exec", "no such event", "sched_process_exec"},
		{"unavailable", "magic_write", "not here", ""},
	}
	if len(got) != len(tests) {
		t.Fatalf("got %d dead selections, want %d: %v", len(got), len(tests), got)
	}
	for i, tt := range tests {
		g := got[i]
		if g.Signature != tt.sig || g.Event != tt.event || g.Reason != tt.reason {
			t.Errorf("%d: got %+v, want %+v", i, g, tt)
		}
		if tt.suggestion != "" && !strings.Contains(g.String(), tt.suggestion) {
			t.Errorf("%d: %q does not suggest %q", i, g.String(), tt.suggestion)
		}
	}
}
