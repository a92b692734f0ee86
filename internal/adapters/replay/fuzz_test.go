package replay_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// FuzzSource_lines feeds arbitrary input to a replay: it never panics, and every non-blank line is
// either an event (emitted or not selected) or counted as skipped.
func FuzzSource_lines(f *testing.F) {
	f.Add([]byte(execLine + "\n{not json\n\n" + execLine))
	f.Add([]byte(`{"eventName":""}` + "\n" + `{"eventName":"nope","args":[{"name":"a","value":1}]}`))
	f.Add([]byte("\x00\x00\x00\n" + execLine))
	f.Add(bytes.Repeat([]byte("z"), 300))
	cat := domain.NewCatalog(domain.BaseEvents())
	sel, err := domain.Select(cat, []string{"sched_process_exec"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		src := replay.New(replay.Config{Path: "-", Stdin: bytes.NewReader(input), MaxLine: 256, Catalog: cat},
			slog.New(slog.DiscardHandler))
		emitted := 0
		err := src.Run(context.Background(), sel, func(ev *trace.Event) {
			if ev.EventName == "" {
				t.Fatal("an event without a name was emitted")
			}
			emitted++
		})
		if err != nil && !bytes.Contains(input, []byte{0}) {
			t.Fatalf("only binary input may end a replay with an error: %v", err)
		}
		st := src.Stats()
		if lines := bytes.Count(input, []byte("\n")) + 1; emitted+int(st.Malformed+st.TooLong) > lines {
			t.Fatalf("%d events and %+v skipped from %d lines", emitted, st, lines)
		}
	})
}

// FuzzDecoder_fast_equals_Tracee: on any line, Decode (fast decoder first) gives what Tracee's
// decoder gives, the same event or the same error, and the fast decoder never takes a line
// Tracee's refuses.
func FuzzDecoder_fast_equals_Tracee(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		for i, line := range readLines(f, file) {
			if i < 3 { // a few lines of each, with their variants: seeds small enough to mutate fast
				for _, v := range variants(line) {
					f.Add(v)
				}
			}
		}
	}
	d := replay.NewDecoder(domain.BaseEvents())
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSame(t, d, raw)
	})
}
