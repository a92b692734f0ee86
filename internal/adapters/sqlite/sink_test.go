package sqlite_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func count(t *testing.T, s ports.AlertSearcher) int64 {
	t.Helper()
	n, err := s.Count(context.Background(), domain.AlertQuery{})
	require.NoError(t, err)
	return n
}

func TestStore_Write_records_only_signature_events(t *testing.T) {
	s := open(t, sqlite.Config{})
	base := &trace.Event{Timestamp: int(time.Now().UnixNano()), EventName: "openat"}
	s.Add(t, append([]*trace.Event{base}, alertstest.Events(time.Now().Add(-time.Hour), 3, time.Second)...))
	assert.Equal(t, int64(3), count(t, s))
	assert.Equal(t, uint64(3), s.Stats().Written)
}

func TestStore_retention_by_age_when_opened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	s := open(t, sqlite.Config{Path: path})
	s.Add(t, alertstest.Events(time.Now().Add(-50*time.Hour), 10, 10*time.Hour)) // 50h ago .. 40h ahead
	require.NoError(t, s.Close(context.Background()))

	again := open(t, sqlite.Config{Path: path, MaxAge: 24 * time.Hour})
	// retention runs on the writer as soon as the store opens
	require.Eventually(t, func() bool { return again.Stats().Deleted == 3 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, int64(7), count(t, again), "the alerts 50h, 40h and 30h old are gone")
}

func TestStore_retention_by_size(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	s := open(t, sqlite.Config{Path: path, RetentionEvery: 50 * time.Millisecond, MaxBytes: 2 << 20})
	s.Add(t, alertstest.Events(time.Now().Add(-time.Hour), 20000, time.Millisecond))
	require.Eventually(t, func() bool { return s.Stats().Deleted > 0 }, 10*time.Second, 50*time.Millisecond)
	n := count(t, s)
	assert.Less(t, n, int64(20000))
	// the newest alerts are the ones kept
	page, err := s.Search(context.Background(), domain.AlertQuery{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, 1000+19999, page.Alerts[0].PID)
}

func TestStore_reopen_keeps_alerts_and_text_index(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	s := open(t, sqlite.Config{Path: path})
	s.Add(t, alertstest.Events(time.Now().Add(-time.Hour), 50, time.Second))
	text := s.TextSearch()
	require.NoError(t, s.Close(context.Background()))

	ro, err := sqlite.OpenReadOnly(path)
	require.NoError(t, err)
	defer ro.Close(context.Background())
	assert.Equal(t, text, ro.TextSearch())
	n, err := ro.Count(context.Background(), domain.AlertQuery{Text: "shell"})
	require.NoError(t, err)
	assert.Positive(t, n)
}

func TestStore_Write_after_Close_fails(t *testing.T) {
	s := open(t, sqlite.Config{})
	require.NoError(t, s.Close(context.Background()))
	assert.Error(t, s.Write(context.Background(), alertstest.Events(time.Now(), 1, time.Second)[0]))
}

func TestOpenReadOnly_missing_store(t *testing.T) {
	_, err := sqlite.OpenReadOnly(filepath.Join(t.TempDir(), "none.db"))
	assert.ErrorIs(t, err, domain.ErrNoAlerts)
}

func TestModule_starts_and_stops(t *testing.T) {
	var searcher ports.AlertSearcher
	app := fxtest.New(t,
		fx.Supply(sqlite.Config{Path: filepath.Join(t.TempDir(), "alerts.db")}, slog.New(slog.DiscardHandler)),
		sqlite.Module,
		fx.Populate(&searcher),
	)
	app.RequireStart()
	_, err := searcher.Count(context.Background(), domain.AlertQuery{})
	require.NoError(t, err)
	app.RequireStop()
}

func TestStore_keeps_the_full_event(t *testing.T) {
	s := open(t, sqlite.Config{})
	ev := alertstest.Events(time.Now().Add(-time.Minute), 1, time.Second)[0]
	s.Add(t, []*trace.Event{ev})
	page, err := s.Search(context.Background(), domain.AlertQuery{})
	require.NoError(t, err)
	require.Len(t, page.Alerts, 1)
	want, err := json.Marshal(ev)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(page.Alerts[0].Event))
}
