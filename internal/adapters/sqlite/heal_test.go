package sqlite_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
)

func openLogged(t *testing.T, cfg sqlite.Config) (testStore, *syncbuf.Buffer) {
	t.Helper()
	var logs syncbuf.Buffer
	s, err := sqlite.Open(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err, "a damaged store never stops the agent")
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return testStore{s}, &logs
}

func asideFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".corrupt-*")
	require.NoError(t, err)
	return m
}

func TestOpen_a_file_that_is_not_a_database_is_moved_aside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("garbage!"), 4096), 0o600))
	s, logs := openLogged(t, sqlite.Config{Path: path})
	s.Add(t, alertstest.Events(time.Now().Add(-time.Minute), 3, time.Second))
	assert.Equal(t, int64(3), count(t, s))
	aside := asideFiles(t, path)
	require.Len(t, aside, 1)
	old, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(old, []byte("garbage!")), "the bad file is kept for inspection")
	assert.Contains(t, logs.String(), "path="+path)
	assert.Contains(t, logs.String(), "moved_to="+aside[0])
	assert.EqualValues(t, 1, s.Stats().Healed)
}

func TestStore_corruption_found_while_recording_heals_and_counts_truthfully(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	s, _ := openLogged(t, sqlite.Config{Path: path})
	s.Add(t, alertstest.Events(time.Now().Add(-time.Hour), 5000, time.Millisecond))
	require.NoError(t, s.Close(context.Background()))

	// keep page 1 (header and schema), overwrite every other page: tables and indexes are garbage
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(data), 64<<10)
	copy(data[4096:], bytes.Repeat([]byte{0xAB}, len(data)-4096))
	require.NoError(t, os.WriteFile(path, data, 0o600))

	again, logs := openLogged(t, sqlite.Config{Path: path})
	again.Add(t, alertstest.Events(time.Now().Add(-time.Minute), 10, time.Second))
	st := again.Stats()
	assert.EqualValues(t, 1, st.Healed)
	assert.EqualValues(t, 10, st.Written)
	assert.Zero(t, st.Failed, "the batch went into the new store")
	assert.Equal(t, int64(10), count(t, again), "the readers see the new store")
	assert.Len(t, asideFiles(t, path), 1)
	assert.Contains(t, logs.String(), "alert store is corrupt: moved aside")
}

func TestOpen_files_are_private_from_the_start(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "tracee")
	path := filepath.Join(dir, "alerts.db")
	s, _ := openLogged(t, sqlite.Config{Path: path})
	s.Add(t, alertstest.Events(time.Now().Add(-time.Minute), 3, time.Second))
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "directory")
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
}

func TestOpen_tightens_an_existing_world_readable_store(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	s, _ := openLogged(t, sqlite.Config{Path: path})
	require.NoError(t, s.Close(context.Background()))
	require.NoError(t, os.Chmod(path, 0o644))
	openLogged(t, sqlite.Config{Path: path})
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestModule_a_store_that_cannot_open_does_not_stop_the_agent(t *testing.T) {
	var store *sqlite.Store
	app := fxtest.New(t,
		fx.Supply(sqlite.Config{Path: t.TempDir()}, slog.New(slog.DiscardHandler)), // a directory
		sqlite.Module,
		fx.Populate(&store),
	)
	app.RequireStart()
	err := store.Write(context.Background(), alertstest.Events(time.Now(), 1, time.Second)[0])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "alert store disabled, alerts are not recorded")
	_, err = store.Count(context.Background(), domain.AlertQuery{})
	assert.Error(t, err)
	app.RequireStop()
}

func TestOpen_read_only_store_is_not_a_credentials_problem(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes read-only files; classify is tested in the package")
	}
	path := filepath.Join(t.TempDir(), "alerts.db")
	s, _ := openLogged(t, sqlite.Config{Path: path})
	require.NoError(t, s.Close(context.Background()))
	require.NoError(t, os.Chmod(path, 0o400))
	_, err := sqlite.Open(sqlite.Config{Path: path}, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, domain.ErrStoreUnauthorized)
	assert.False(t, strings.Contains(err.Error(), "credentials"), err.Error())
}
