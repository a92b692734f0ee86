package helpers

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func testEvent() trace.Event {
	return trace.Event{EventName: "security_file_open", Args: []trace.Argument{
		{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "string"}, Value: "/etc/shadow"},
		{ArgMeta: trace.ArgMeta{Name: "flags", Type: "int32"}, Value: int32(2)},
		{ArgMeta: trace.ArgMeta{Name: "dev", Type: "uint32"}, Value: uint32(0)},
		{ArgMeta: trace.ArgMeta{Name: "inode", Type: "uint64"}, Value: uint64(7)},
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

func TestSockAddr(t *testing.T) {
	inet := map[string]string{"sa_family": "AF_INET", "sin_addr": "10.0.0.1", "sin_port": "443"}
	if ok, _ := IsInternetFamily(inet); !ok {
		t.Error("IsInternetFamily(AF_INET) = false")
	}
	if ip, _ := GetIPFromRawAddr(inet); ip != "10.0.0.1" {
		t.Errorf("ip %q", ip)
	}
	if port, _ := GetPortFromRawAddr(inet); port != "443" {
		t.Errorf("port %q", port)
	}
	inet6 := map[string]string{"sa_family": "AF_INET6", "sin6_addr": "::1", "sin6_port": "80"}
	if ip, _ := GetIPFromRawAddr(inet6); ip != "::1" {
		t.Errorf("ip6 %q", ip)
	}
	unix := map[string]string{"sa_family": "AF_UNIX", "sun_path": "/run/docker.sock"}
	if ok, _ := IsUnixFamily(unix); !ok {
		t.Error("IsUnixFamily(AF_UNIX) = false")
	}
	if ok, _ := IsInternetFamily(unix); ok {
		t.Error("IsInternetFamily(AF_UNIX) = true")
	}
	if p, _ := GetPathFromRawAddr(unix); p != "/run/docker.sock" {
		t.Errorf("path %q", p)
	}
	if _, err := GetIPFromRawAddr(unix); err == nil {
		t.Error("IP of a unix address: want error")
	}
	// A missing address (GetRawAddrArgumentByName's nil map on error) is no family at all.
	if ok, err := IsInternetFamily(nil); ok || err == nil {
		t.Errorf("IsInternetFamily(nil) = %v, %v; want false and an error", ok, err)
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
