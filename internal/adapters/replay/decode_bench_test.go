package replay_test

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// BenchmarkReplayDecode decodes the recorded live lines (testdata/live-sample.jsonl) with the fast
// decoder and with Tracee's (encoding/json and Argument.UnmarshalJSON) in one run; one op is one
// line, and events/s is lines per second of wall time.
func BenchmarkReplayDecode(b *testing.B) {
	lines := readLines(b, "testdata/live-sample.jsonl")
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	d := replay.NewDecoder(domain.BaseEvents())
	for _, bc := range []struct {
		name   string
		decode func([]byte, *trace.Event) error
	}{
		{"fast", d.Decode},
		{"tracee", d.DecodeTracee},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size / int64(len(lines)))
			for i := 0; b.Loop(); i++ {
				ev := new(trace.Event)
				if err := bc.decode(lines[i%len(lines)], ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
