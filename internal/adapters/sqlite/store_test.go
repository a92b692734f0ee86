package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
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
	for _, text := range []string{"", "like"} {
		name := text
		if name == "" {
			name = "best text index"
		}
		t.Run(name, func(t *testing.T) {
			alertstest.Run(t, func(t *testing.T) alertstest.Store {
				s := open(t, sqlite.Config{Text: text})
				if text == "" {
					t.Logf("text search: %s", s.TextSearch())
				}
				return s
			})
		})
	}
}
