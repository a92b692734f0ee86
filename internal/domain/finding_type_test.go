package domain

import (
	"encoding/json"
	"testing"
	"time"

	tracee "github.com/aquasecurity/tracee/types/trace"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestFindingToEvent_data_reads_back_with_Tracee_decoder: every finding value is written with a
// type name that Tracee's own JSON decoder accepts, and reads back as the same Go value.
func TestFindingToEvent_data_reads_back_with_Tracee_decoder(t *testing.T) {
	tests := []struct {
		name string
		in   interface{}
		want interface{}
	}{
		{"int", 7, int64(7)},
		{"int16", int16(-3), int32(-3)},
		{"int32", int32(-4), int32(-4)},
		{"int64", int64(1 << 40), int64(1 << 40)},
		{"uint", uint(9), uint64(9)},
		{"uint16", uint16(10), uint16(10)},
		{"uint32", uint32(11), uint32(11)},
		{"uint64", uint64(1 << 50), uint64(1 << 50)},
		{"int8", int8(-1), int8(-1)},
		{"uint8", uint8(200), uint8(200)},
		{"float64", 1.5, 1.5},
		{"duration", 2 * time.Second, int64(2 * time.Second)},
		{"string", "x", "x"},
		{"bool", true, true},
		{"strings", []string{"a", "b"}, []interface{}{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &detect.Finding{Data: map[string]interface{}{"v": tt.in},
				Event:       protocol.Event{Payload: trace.Event{EventName: "x"}},
				SigMetadata: detect.SignatureMetadata{ID: "T-1", EventName: "sig"}}
			ev := FindingToEvent(f, 6000)
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var back tracee.Event // the published module's decoder
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Tracee's decoder refuses %s: %v", b, err)
			}
			got := back.Args[0].Value
			if s, ok := got.([]string); ok { // Tracee's decoder makes []string of "[]string"
				got = []interface{}{s[0], s[1]}
			}
			if !jsonEqual(got, tt.want) {
				t.Errorf("read back %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func jsonEqual(a, b interface{}) bool {
	if ab, ok := a.([]interface{}); ok {
		bb, ok := b.([]interface{})
		if !ok || len(ab) != len(bb) {
			return false
		}
		for i := range ab {
			if ab[i] != bb[i] {
				return false
			}
		}
		return true
	}
	return a == b
}
