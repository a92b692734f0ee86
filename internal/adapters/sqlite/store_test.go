package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

type testStore struct{ *sqlite.Store }

func (s testStore) Add(t *testing.T, evs []*trace.Event) {
	t.Helper()
	ctx := context.Background()
	for _, ev := range evs {
		require.NoError(t, s.Write(ctx, ev))
	}
	require.NoError(t, s.Flush(ctx))
}

func open(t *testing.T, cfg sqlite.Config) testStore {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "alerts.db")
	}
	s, err := sqlite.Open(cfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	return testStore{s}
}

func TestStore_contract(t *testing.T) {
	alertstest.Run(t, func(t *testing.T) alertstest.Store {
		s := open(t, sqlite.Config{EventHost: true}) // the generated alerts' hosts
		t.Logf("text search: %s", s.TextSearch())
		return s
	})
}

// Without a full-text index (a SQLite built without FTS), text is matched as substrings: the
// contract's whole-word semantics do not hold, but every word must still occur.
func TestStore_Search_text_without_fts(t *testing.T) {
	s := open(t, sqlite.Config{Text: "like", EventHost: true})
	require.Equal(t, "like", s.TextSearch())
	evs := alertstest.Events(time.Now().Add(-time.Hour), 60, time.Second)
	s.Add(t, evs)
	var shells int64
	for _, ev := range evs {
		if ev.EventName == "illegitimate_shell" {
			shells++
		}
	}
	require.Positive(t, shells)
	for _, tt := range []struct {
		text string
		want int64
	}{
		{"shell", shells}, {"SHELL interactive", shells}, {"shell debugger", 0}, {"100%", 0},
	} {
		n, err := s.Count(context.Background(), domain.AlertQuery{Text: tt.text})
		require.NoError(t, err)
		assert.Equal(t, tt.want, n, tt.text)
	}
}
