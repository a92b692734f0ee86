package replay_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// writeCorpus writes n recorded live events: the lines of testdata/live-sample.jsonl (a capture
// of this agent's `-o json` on a busy host) over and over, each with a later timestamp.
func writeCorpus(t testing.TB, w io.Writer, n int) {
	sample := readLines(t, "testdata/live-sample.jsonl")
	bw := bufio.NewWriterSize(w, 1<<20)
	key := []byte(`"timestamp":`)
	base := int64(1764500000000000000)
	for i := 0; i < n; i++ {
		line := sample[i%len(sample)]
		at := bytes.Index(line, key)
		if at < 0 {
			t.Fatalf("a sample line without a timestamp: %.100s", line)
		}
		at += len(key)
		end := at + bytes.IndexAny(line[at:], ",}")
		bw.Write(line[:at])
		bw.WriteString(strconv.FormatInt(base+int64(i)*1000, 10))
		bw.Write(line[end:])
		bw.WriteByte('\n')
	}
	require.NoError(t, bw.Flush())
}

// TestWriteCorpus writes the replay benchmark's corpus when REPLAY_CORPUS names a file
// (REPLAY_CORPUS_LINES lines, default 500,000): scripts/bench-replay.sh uses it.
func TestWriteCorpus(t *testing.T) {
	path := os.Getenv("REPLAY_CORPUS")
	if path == "" {
		t.Skip("REPLAY_CORPUS not set: nothing to write")
	}
	n := 500_000
	if v := os.Getenv("REPLAY_CORPUS_LINES"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	writeCorpus(t, f, n)
	require.NoError(t, f.Close())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReplay_Source replays a generated corpus of recorded live events (100,000 lines) from a
// file through the source (read, decode on GOMAXPROCS workers, order, select) into a no-op emit.
// One op is one replay of the corpus; events/s-cpu is events per CPU second of the whole process
// (what one core sustains), allocs/event and B/event are per line.
func BenchmarkReplay_Source(b *testing.B) {
	const lines = 100_000
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	f, err := os.Create(path)
	require.NoError(b, err)
	writeCorpus(b, f, lines)
	require.NoError(b, f.Close())
	cat := domain.NewCatalog(domain.BaseEvents())
	sel, err := domain.Select(cat, []string{"sched_process_exec", "security_file_open", "openat", "read", "close", "mmap"})
	require.NoError(b, err)
	per := startPerEvent()
	for b.Loop() {
		src := replay.New(replay.Config{Path: path, Catalog: cat}, slog.New(slog.DiscardHandler))
		emitted := 0
		require.NoError(b, src.Run(context.Background(), sel, func(*trace.Event) { emitted++ }))
		if emitted == 0 {
			b.Fatal("no event emitted")
		}
	}
	per.report(b, lines*b.N)
}

// perEvent measures CPU time and allocations over a benchmark's loop, reported per event.
type perEvent struct {
	cpu time.Duration
	mem runtime.MemStats
}

func startPerEvent() *perEvent {
	p := &perEvent{cpu: processCPU()}
	runtime.ReadMemStats(&p.mem)
	return p
}

func (p *perEvent) report(b *testing.B, events int) {
	used := processCPU() - p.cpu
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/used.Seconds(), "events/s-cpu")
	b.ReportMetric(float64(m.Mallocs-p.mem.Mallocs)/float64(events), "allocs/event")
	b.ReportMetric(float64(m.TotalAlloc-p.mem.TotalAlloc)/float64(events), "B/event")
}
