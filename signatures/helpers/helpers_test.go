package helpers

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func testEvent() trace.Event {
	return trace.Event{EventName: "security_file_open", Args: []trace.Argument{
		{ArgMeta: trace.ArgMeta{Name: "pathname"}, Value: "/etc/shadow"},
		{ArgMeta: trace.ArgMeta{Name: "flags"}, Value: int32(2)},
		{ArgMeta: trace.ArgMeta{Name: "inode"}, Value: uint64(7)},
		{ArgMeta: trace.ArgMeta{Name: "argv"}, Value: []string{"a", "b"}},
		{ArgMeta: trace.ArgMeta{Name: "empty"}, Value: nil},
		{ArgMeta: trace.ArgMeta{Name: "addr"}, Value: map[string]interface{}{"sa_family": "AF_INET", "sin_addr": "10.0.0.1", "sin_port": "443"}},
	}}
}

func TestTraceEvent_returns_the_payload_without_copying(t *testing.T) {
	ev := testEvent()
	tests := []struct {
		name    string
		payload interface{}
		ok      bool
	}{
		{"value payload", ev, true},
		{"pointer payload", &ev, true},
		{"nil pointer payload", (*trace.Event)(nil), false},
		{"foreign payload", "not an event", false},
		{"no payload", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := protocol.Event{Payload: tt.payload}
			got, ok := TraceEvent(&pe)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (got.EventName != ev.EventName || len(got.Args) != len(ev.Args)) {
				t.Fatalf("got event %q with %d args", got.EventName, len(got.Args))
			}
		})
	}
}

func TestTraceeGetters(t *testing.T) {
	ev := testEvent()
	if s, err := GetTraceeStringArgumentByName(ev, "pathname"); err != nil || s != "/etc/shadow" {
		t.Errorf("string: %q %v", s, err)
	}
	if _, err := GetTraceeStringArgumentByName(ev, "flags"); err == nil {
		t.Error("string of an int: want error")
	}
	if n, err := GetTraceeIntArgumentByName(ev, "flags"); err != nil || n != 2 {
		t.Errorf("int: %d %v", n, err)
	}
	if n, err := GetTraceeUintArgumentByName(ev, "inode"); err != nil || n != 7 {
		t.Errorf("uint: %d %v", n, err)
	}
	if s, err := GetTraceeSliceStringArgumentByName(ev, "argv"); err != nil || len(s) != 2 {
		t.Errorf("slice: %v %v", s, err)
	}
	if _, err := GetTraceeArgumentByName(ev, "empty", GetArgOps{}); err == nil {
		t.Error("nil value without DefaultArgs: want error")
	}
	if _, err := GetTraceeArgumentByName(ev, "empty", GetArgOptions{DefaultArgs: true}); err != nil {
		t.Errorf("nil value with DefaultArgs: %v", err)
	}
	if _, err := GetTraceeArgumentByName(ev, "missing", GetArgOps{}); err == nil {
		t.Error("missing: want error")
	}
	addr, err := GetTraceeSockAddrArgumentByName(ev, "addr")
	if err != nil {
		t.Fatal(err)
	}
	if inet, _ := IsInternetFamily(addr); !inet {
		t.Error("want AF_INET")
	}
	if ip, _ := GetIPFromRawAddr(addr); ip != "10.0.0.1" {
		t.Errorf("ip %q", ip)
	}
	if port, _ := GetPortFromRawAddr(addr); port != "443" {
		t.Errorf("port %q", port)
	}
	if _, err := GetPathFromRawAddr(addr); err == nil {
		t.Error("path of AF_INET: want error")
	}
	if v, err := ArgVal[int32](ev.Args, "flags"); err != nil || v != 2 {
		t.Errorf("ArgVal: %d %v", v, err)
	}
}

func TestPredicates(t *testing.T) {
	tests := []struct {
		name      string
		flags     int
		read, wrt bool
	}{
		{"O_RDONLY", 0, true, false},
		{"O_WRONLY|O_CREAT|O_TRUNC", 0o1101, false, true},
		{"O_RDWR", 2, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if IsFileRead(tt.flags) != tt.read || IsFileWrite(tt.flags) != tt.wrt {
				t.Errorf("read=%v write=%v", IsFileRead(tt.flags), IsFileWrite(tt.flags))
			}
		})
	}
	if !IsMemoryPath("memfd:x") || !IsMemoryPath("/dev/shm/a") || IsMemoryPath("/tmp/a") {
		t.Error("IsMemoryPath")
	}
	if !IsElf([]byte("\x7fELF\x02")) || IsElf([]byte("#!/bin")) {
		t.Error("IsElf")
	}
	if u, _ := IsUnixFamily(map[string]string{"sa_family": "AF_UNIX"}); !u {
		t.Error("IsUnixFamily")
	}
	if _, ok := IntArg(testEvent().Args, "pathname"); ok {
		t.Error("IntArg of a string")
	}
	if v, ok := UintArg([]trace.Argument{{ArgMeta: trace.ArgMeta{Name: "x"}, Value: int32(-1)}}, "x"); ok {
		t.Errorf("UintArg of -1 = %d", v)
	}
}

func BenchmarkTraceEvent(b *testing.B) {
	pe := testEvent().ToProtocol()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := TraceEvent(&pe); !ok {
			b.Fatal("not an event")
		}
	}
}
