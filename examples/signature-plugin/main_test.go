package main

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestExecFromShm_OnEvent(t *testing.T) {
	exec := func(path string) trace.Event {
		return trace.Event{EventName: "sched_process_exec", Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "string"}, Value: path}}}
	}
	tests := []struct {
		name  string
		event trace.Event
		want  bool
	}{
		{name: "program in /dev/shm", event: exec("/dev/shm/.x/payload"), want: true},
		{name: "program in /run/shm", event: exec("/run/shm/a"), want: true},
		{name: "ordinary program", event: exec("/usr/bin/ls")},
		{name: "look-alike directory", event: exec("/dev/shmem/a")},
		{name: "no pathname", event: trace.Event{EventName: "sched_process_exec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var found []*detect.Finding
			sig := ExportedSignatures[0]
			if err := sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) { found = append(found, f) }}); err != nil {
				t.Fatal(err)
			}
			if err := sig.OnEvent(tt.event.ToProtocol()); err != nil {
				t.Fatal(err)
			}
			if got := len(found) == 1; got != tt.want {
				t.Fatalf("found %d findings, want finding=%v", len(found), tt.want)
			}
			if tt.want && found[0].SigMetadata.ID != "EXAMPLE-1" {
				t.Fatalf("finding from %q", found[0].SigMetadata.ID)
			}
		})
	}
}

func TestExecFromShm_rejects_a_foreign_payload(t *testing.T) {
	sig := ExportedSignatures[0]
	if err := sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) { t.Error("unexpected finding") }}); err != nil {
		t.Fatal(err)
	}
	if err := sig.OnEvent(protocol.Event{Payload: "not an event"}); err == nil {
		t.Fatal("want an error for a payload that is not a trace.Event")
	}
}
