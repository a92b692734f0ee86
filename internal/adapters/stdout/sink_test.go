package stdout_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/stdout"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestSink_broken_pipe_is_an_error_not_a_signal(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, r.Close())
	defer w.Close()
	s, err := stdout.New(stdout.Config{Format: stdout.FormatJSON}, w)
	require.NoError(t, err)
	require.NoError(t, s.Write(context.Background(), &trace.Event{EventName: "openat"}))
	err = s.Flush(context.Background())
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.EPIPE), "%v", err)
	assert.False(t, errors.Is(err, domain.ErrEventRejected), "a dead reader breaks the output, not one event")
}

func TestSink_full_disk_is_an_error(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("needs /dev/full")
	}
	s, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: "/dev/full"}, nil)
	require.NoError(t, err)
	require.NoError(t, s.Write(context.Background(), &trace.Event{EventName: "openat"}))
	err = s.Flush(context.Background())
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
}

func TestSink_an_event_that_does_not_encode_is_rejected_alone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	s, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: path}, nil)
	require.NoError(t, err)
	bad := &trace.Event{EventName: "openat", Args: []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "x"}, Value: math.NaN()}}}
	err = s.Write(context.Background(), bad)
	assert.ErrorIs(t, err, domain.ErrEventRejected)
	require.NoError(t, s.Write(context.Background(), &trace.Event{EventName: "close"}))
	require.NoError(t, s.Close(context.Background()))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(data), "\n"))
	assert.Contains(t, string(data), `"eventName":"close"`)
}

func TestNew_does_not_follow_another_users_symlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a symlink owned by another user")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	require.NoError(t, os.WriteFile(target, []byte("precious\n"), 0o600))
	link := filepath.Join(dir, "x")
	require.NoError(t, os.Symlink(target, link))
	require.NoError(t, os.Lchown(link, 65534, 65534))
	_, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: link}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a symlink owned by uid 65534, not root: refusing to follow it")
	data, _ := os.ReadFile(target)
	assert.Equal(t, "precious\n", string(data))
}

func TestNew_follows_its_own_symlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "out.json")
	require.NoError(t, os.Symlink(target, link))
	s, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: link}, nil)
	require.NoError(t, err)
	require.NoError(t, s.Write(context.Background(), &trace.Event{EventName: "openat"}))
	require.NoError(t, s.Close(context.Background()))
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Contains(t, string(data), "openat")
}

func TestNew_refuses_a_file_planted_by_another_user(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a file owned by another user")
	}
	path := filepath.Join(t.TempDir(), "x")
	require.NoError(t, os.WriteFile(path, nil, 0o666))
	require.NoError(t, os.Chown(path, 65534, 65534))
	_, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: path}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "belongs to uid 65534, not root")
}
