package elasticsearch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// encoderEvents are events with every value shape the append encoder handles itself, and a few
// it hands to encoding/json.
func encoderEvents() map[string]trace.Event {
	alert := testAlert(1_764_000_000_123_456_789, "10.96.0.1")
	base := trace.Event{
		Timestamp: 1_764_000_000_000_000_001, ThreadStartTime: 5, ProcessorID: 1, ProcessID: 9, CgroupID: 1 << 40,
		ThreadID: 9, ParentProcessID: 1, HostProcessID: -1, UserID: 0, MountNS: 4026531840, PIDNS: 4026531836,
		ProcessName: "evil<&>\"\\\t\n\x01\u2028\u2029é\xff", Executable: trace.File{Path: "/bin/ünïcode"},
		HostName: "h", EventID: 1, EventName: "execve", MatchedPolicies: []string{"p1", "p2"},
		ArgsNum: 12, ReturnValue: -13, Syscall: "execve", StackAddresses: []uint64{1, 2, 1 << 63},
		ContextFlags: trace.ContextFlags{IsCompat: true}, ThreadEntityId: 3, ProcessEntityId: 4, ParentEntityId: 5,
		Kubernetes: trace.Kubernetes{PodSandbox: true},
		Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "const char*"}, Value: "/etc/shadow"},
			{ArgMeta: trace.ArgMeta{Name: "argv", Type: "const char**"}, Value: []string{"sh", "-c", "id"}},
			{ArgMeta: trace.ArgMeta{Name: "flags", Type: "int32"}, Value: int32(-1)},
			{ArgMeta: trace.ArgMeta{Name: "dev", Type: "uint32"}, Value: uint32(7)},
			{ArgMeta: trace.ArgMeta{Name: "inode", Type: "uint64"}, Value: uint64(1 << 63)},
			{ArgMeta: trace.ArgMeta{Name: "addr", Type: "trace.Pointer"}, Value: trace.Pointer(0xdeadbeef)},
			{ArgMeta: trace.ArgMeta{Name: "u8", Type: "uint8"}, Value: uint8(255)},
			{ArgMeta: trace.ArgMeta{Name: "u16", Type: "uint16"}, Value: uint16(65535)},
			{ArgMeta: trace.ArgMeta{Name: "i8", Type: "int8"}, Value: int8(-8)},
			{ArgMeta: trace.ArgMeta{Name: "i16", Type: "int16"}, Value: int16(-16)},
			{ArgMeta: trace.ArgMeta{Name: "i64", Type: "int64"}, Value: int64(-1 << 62)},
			{ArgMeta: trace.ArgMeta{Name: "u", Type: "uint"}, Value: uint(3)},
			{ArgMeta: trace.ArgMeta{Name: "ok", Type: "bool"}, Value: true},
			{ArgMeta: trace.ArgMeta{Name: "ratio", Type: "float64"}, Value: 1.5e-7},
			{ArgMeta: trace.ArgMeta{Name: "bytes", Type: "bytes"}, Value: []byte{0, 1, 2}},
			{ArgMeta: trace.ArgMeta{Name: "num", Type: "int"}, Value: json.Number("42")},
			{ArgMeta: trace.ArgMeta{Name: "nil", Type: "unknown"}, Value: nil},
			{ArgMeta: trace.ArgMeta{Name: "nilslice", Type: "const char**"}, Value: []string(nil)},
			{ArgMeta: trace.ArgMeta{Name: "list", Type: "unknown"}, Value: []interface{}{"a", 1, nil, map[string]interface{}{"z": 1, "a": "<"}}},
			{ArgMeta: trace.ArgMeta{Name: "stack", Type: "[]uint64"}, Value: []uint64{}},
			{ArgMeta: trace.ArgMeta{Name: "remote_addr", Type: "struct sockaddr*"},
				Value: map[string]interface{}{"sa_family": "AF_INET6", "sin6_addr": "::1", "sin6_port": 8443}},
			{ArgMeta: trace.ArgMeta{Name: "hooked", Type: "trace.HookedSymbolData"},
				Value: trace.HookedSymbolData{SymbolName: "x", ModuleOwner: "y"}},
			{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "const char*"}, Value: "/second/of/a/name"},
		},
	}
	bare := trace.Event{EventName: "sched_process_exit"}
	empty := bare
	empty.Args = []trace.Argument{}
	noProps := testAlert(7, "not-an-ip")
	noProps.Metadata = &trace.Metadata{Properties: map[string]interface{}{"signatureID": "X-1", "Severity": "3"}}
	// tracee.args copies the values encoded for the ID: a clash, and a second detectedFrom (not read)
	clash := testAlert(8, "10.0.0.8")
	clash.Args = append([]trace.Argument{{ArgMeta: trace.ArgMeta{Name: "sockfd", Type: "string"}, Value: "own wins"}},
		clash.Args...)
	clash.Args = append(clash.Args, trace.Argument{ArgMeta: trace.ArgMeta{Name: argDetectedFrom, Type: "unknown"},
		Value: map[string]interface{}{"args": []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "second", Type: "int"}, Value: 2}}}})
	return map[string]trace.Event{"alert": alert, "base event with every value type": base,
		"bare event": bare, "empty args": empty, "alert with few properties": noProps,
		"alert naming a trigger argument, with a second detectedFrom": clash}
}

func TestAppendEvent_matches_encoding_json(t *testing.T) {
	for name, ev := range encoderEvents() {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(&ev)
			require.NoError(t, err)
			got, err := appendEvent(nil, &ev, nil)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<script>&\"\\", "\x00\x1f\x7f", "\u2028\u2029", "é\xff\xfe", "\t\n\r\b\f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

// The encoder writes what json.Marshal(Identity.Document(...)) writes, field for field.
func TestEncoder_matches_Document(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 123, time.UTC)
	for _, id := range []Identity{{}, {HostName: "real-host", AgentID: "a1", AgentVersion: "v1"}} {
		for name, ev := range encoderEvents() {
			t.Run(fmt.Sprintf("%s/identity=%v", name, id != Identity{}), func(t *testing.T) {
				doc := id.Document(&ev, now)
				want, err := json.Marshal(doc)
				require.NoError(t, err)
				got, index, docID, err := newDocEncoder(id, "tracee-alerts").encode(nil, &ev, now)
				require.NoError(t, err)
				require.True(t, json.Valid(got), "%s", got)
				var w, g interface{}
				require.NoError(t, json.Unmarshal(want, &w))
				require.NoError(t, json.Unmarshal(got, &g))
				assert.Equal(t, w, g)
				assert.Equal(t, IndexName("tracee-alerts", doc.Timestamp), index)
				assert.Equal(t, doc.Event.ID, docID)
			})
		}
	}
}

// legacyDocumentID is DocumentID as it was written first; IDs must not change, or a spool left by
// an older agent would index its alerts a second time.
func legacyDocumentID(ev *trace.Event) string {
	h := sha256.New()
	sig := ""
	if ev.Metadata != nil {
		if s, ok := ev.Metadata.Properties["signatureID"].(string); ok {
			sig = s
		}
	}
	fmt.Fprintf(h, "%d\x00%s\x00%d\x00%d\x00%d\x00%d\x00%s\x00%d\x00%s\x00", ev.Timestamp, ev.HostName,
		ev.HostProcessID, ev.HostThreadID, ev.ProcessEntityId, ev.CgroupID, ev.EventName, ev.EventID, sig)
	if b, err := json.Marshal(ev.Args); err == nil {
		h.Write(b)
	} else {
		fmt.Fprintf(h, "%v", ev.Args)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func TestDocumentID_is_unchanged(t *testing.T) {
	for name, ev := range encoderEvents() {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, legacyDocumentID(&ev), DocumentID(&ev))
		})
	}
}

// BenchmarkEncoder_alert is the sink's encoding of one alert, no server: allocs/op is per alert.
// bytes/doc is the document's size; legacy_bytes/doc the size of the same alert's document
// before it was trimmed (tracee.args carrying detectedFrom again, and observer.*).
func BenchmarkEncoder_alert(b *testing.B) {
	ev := testAlert(1_764_000_000_123_456_789, "10.96.0.1")
	enc := newDocEncoder(Identity{HostName: "node-1", AgentID: "a1", AgentVersion: "v1"}, DefaultIndexPrefix)
	now := time.Now()
	buf, _, _, err := enc.encode(nil, &ev, now)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf, _, _, _ = enc.encode(buf[:0], &ev, now)
	}
	b.ReportMetric(float64(len(buf)), "bytes/doc")
	b.ReportMetric(float64(legacyDocSize(b, &ev, now)), "legacy_bytes/doc")
}

// legacyDocSize is the size the document of ev had before it was trimmed: the same document
// plus observer.* and tracee.args holding every argument of the event itself, detectedFrom too.
func legacyDocSize(tb testing.TB, ev *trace.Event, now time.Time) int {
	id := Identity{HostName: "node-1", AgentID: "a1", AgentVersion: "v1"}
	d := id.Document(ev, now)
	args := map[string]interface{}{}
	for _, a := range ev.Args {
		args[a.Name] = a.Value
	}
	d.Tracee.Args = args
	type observer struct {
		Hostname string `json:"hostname,omitempty"`
		Product  string `json:"product"`
		Vendor   string `json:"vendor"`
		Type     string `json:"type"`
		Version  string `json:"version,omitempty"`
	}
	legacy := struct {
		Document
		Observer observer `json:"observer"`
	}{d, observer{id.HostName, "tracee", "tracee", "ids", id.AgentVersion}}
	out, err := json.Marshal(legacy)
	require.NoError(tb, err)
	return len(out)
}

// BenchmarkSink_alert_path is what the sink does for one alert, without a server: encode
// (Write), append to the spool (one write(2)), copy into a bulk request (the shipping loop),
// release the document buffer, and mark it done as a confirmed item is. allocs/op is per alert.
func BenchmarkSink_alert_path(b *testing.B) {
	for _, sync := range []SpoolSync{SpoolSyncBatch, SpoolSyncNone} {
		b.Run("spool-sync="+string(sync), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.SpoolDir, cfg.SpoolSync = b.TempDir(), sync
			cfg.Identity = Identity{HostName: "node-1", AgentID: "a1", AgentVersion: "v1"}
			s, err := New(cfg, quietLog())
			require.NoError(b, err)
			b.Cleanup(func() { require.NoError(b, s.Close(context.Background())) })
			ev := testAlert(1_764_000_000_123_456_789, "10.96.0.1")
			batch := &bulkBatch{buf: make([]byte, 0, cfg.FlushBytes+64<<10)}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				it := s.item(&ev)
				if err := s.spool.AppendLive(it); err != nil {
					b.Fatal(err)
				}
				if len(batch.buf) >= cfg.FlushBytes {
					batch.buf = batch.buf[:0]
				}
				batch.buf, _ = appendBulkItem(batch.buf, it.Index, it.ID, it.Body)
				releaseBody(it)
				s.spool.Done(it)
			}
		})
	}
}
