package sqlite

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

func TestClassify_read_only_is_not_refused_credentials(t *testing.T) {
	for _, code := range []sqlite3.ErrNo{sqlite3.ErrReadonly, sqlite3.ErrPerm} {
		err := classify("/var/lib/tracee/alerts.db", sqlite3.Error{Code: code})
		assert.NotErrorIs(t, err, domain.ErrStoreUnauthorized)
		assert.NotContains(t, err.Error(), "credentials")
		assert.Contains(t, err.Error(), "/var/lib/tracee/alerts.db cannot be written")
		assert.Contains(t, err.Error(), "--alerts-db")
	}
}

// A failing disk fails every batch: each failed alert is counted, the log says so once per interval.
func TestStore_failing_writes_are_counted_and_logged_once(t *testing.T) {
	var logs bytes.Buffer
	s, err := Open(Config{Path: filepath.Join(t.TempDir(), "alerts.db"), BatchSize: 10}, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Flush(ctx))                         // the writer is idle
	_, err = s.db.ExecContext(ctx, "PRAGMA query_only = ON") // every insert now fails, as on a read-only disk
	require.NoError(t, err)
	for _, ev := range alertstest.Events(time.Now().Add(-time.Minute), 100, time.Millisecond) {
		require.NoError(t, s.Write(ctx, ev))
	}
	require.NoError(t, s.Flush(ctx))
	assert.EqualValues(t, 100, s.Stats().Failed)
	assert.Zero(t, s.Stats().Written)
	require.Error(t, s.Close(ctx))
	assert.Equal(t, 1, strings.Count(logs.String(), "alerts not recorded"), logs.String())
	assert.Contains(t, logs.String(), "failed_total=10 ")
}
