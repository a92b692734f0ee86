package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/sinktest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

func TestStore_sink_contract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		path := filepath.Join(t.TempDir(), "alerts.db")
		s, err := sqlite.Open(sqlite.Config{Path: path}, nil)
		require.NoError(t, err)
		return sinktest.Harness{Sink: s, Recorded: func(t *testing.T) []int {
			ro, err := sqlite.OpenReadOnly(path)
			require.NoError(t, err)
			defer ro.Close(context.Background())
			page, err := ro.Search(context.Background(), domain.AlertQuery{Limit: 10000})
			require.NoError(t, err)
			var out []int
			for _, a := range page.Alerts {
				out = append(out, a.PID)
			}
			return out
		}}
	})
}
