package app_test

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/signatures"
)

// BenchmarkAgent_Replay replays recorded live events through the whole agent: the replay source,
// the pipeline with the built-in signatures and the default selection, no output. One op is one
// replay of the corpus (REPLAY_CORPUS, or the recorded sample repeated to 50,000 lines);
// events/s-cpu is events per CPU second of the process, what one core sustains; allocs/event and
// B/event count every allocation of the process (source, pipeline, signatures) per line.
func BenchmarkAgent_Replay(b *testing.B) {
	path := os.Getenv("REPLAY_CORPUS")
	if path == "" {
		path = repeatSample(b, 50_000)
	}
	loaded := domain.Builtin(signatures.All())
	cat := domain.NewCatalog(domain.SignatureEvents(loaded), domain.BaseEvents())
	sel, err := domain.Select(cat, nil)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	perRun := countLines(b, path)
	defer app.TuneGCForReplay(os.Getenv)() // as app.Run does for --replay
	cpu := processCPU()
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	for b.Loop() {
		src := replay.New(replay.Config{Path: path, Catalog: cat}, log)
		outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, nil, log)
		agent, problems := app.NewAgent(app.AgentDeps{Source: src, Outputs: outputs, Catalog: cat, Selection: sel, Signatures: loaded, Log: log})
		if len(problems) > 0 {
			b.Fatal(problems)
		}
		if err := agent.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		st := src.Stats()
		if st.Malformed+st.TooLong > 0 {
			b.Fatalf("skipped lines: %+v", st)
		}
	}
	used := processCPU() - cpu
	runtime.ReadMemStats(&mem1)
	lines := float64(perRun * b.N)
	b.ReportMetric(lines/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(lines/used.Seconds(), "events/s-cpu")
	b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/lines, "allocs/event")
	b.ReportMetric(float64(mem1.TotalAlloc-mem0.TotalAlloc)/lines, "B/event")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// repeatSample writes the recorded live sample over and over to n lines.
func repeatSample(b *testing.B, n int) string {
	sample, err := os.ReadFile("../adapters/replay/testdata/live-sample.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for written := 0; written < n; {
		w.Write(sample)
		written += countBytes(sample, '\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

func countLines(b *testing.B, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return countBytes(data, '\n')
}

func countBytes(data []byte, c byte) int {
	n := 0
	for _, x := range data {
		if x == c {
			n++
		}
	}
	return n
}
