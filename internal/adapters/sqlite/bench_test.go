package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
)

// BenchmarkStore_1M searches 1,000,000 alerts. The store is built once (through Write, as the
// agent records) in $TRACEE_BENCH_DIR (default: the system temp dir) and reused by later runs:
//
//	go test -run '^$' -bench Store_1M -benchtime 20x ./internal/adapters/sqlite/
func BenchmarkStore_1M(b *testing.B) {
	dir := os.Getenv("TRACEE_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "tracee-bench-alerts-1m.db")
	startFile := path + ".start"
	ctx := context.Background()
	var start time.Time
	if raw, err := os.ReadFile(startFile); err == nil {
		start, _ = time.Parse(time.RFC3339, string(raw))
	}
	if start.IsZero() || time.Since(start) > 25*24*time.Hour {
		_ = os.Remove(path)
		start = alertstest.BenchStart()
		s, err := sqlite.Open(sqlite.Config{Path: path, MaxBytes: 8 << 30, EventHost: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for i := range alertstest.BenchSize {
			if err := s.Write(ctx, alertstest.EventAt(start, i, alertstest.BenchStep)); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(ctx); err != nil {
			b.Fatal(err)
		}
		st, _ := os.Stat(path)
		b.Logf("loaded %d alerts in %s (%.0f/s), %d MB", alertstest.BenchSize, time.Since(t0),
			float64(alertstest.BenchSize)/time.Since(t0).Seconds(), st.Size()>>20)
		if err := os.WriteFile(startFile, []byte(start.Format(time.RFC3339)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// opening for writing brings an older file's schema up to date (the hourly counts)
	w, err := sqlite.Open(sqlite.Config{Path: path, MaxBytes: 8 << 30, EventHost: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	s, err := sqlite.OpenReadOnly(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	alertstest.Bench(b, s, start)
}
