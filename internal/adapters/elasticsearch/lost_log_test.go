package elasticsearch

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A spool over its budget evicts on every write: that used to log one "ALERTS LOST" line each
// time (833 a second); it is one line per interval with the counts.
func TestSink_alerts_lost_is_one_log_line_per_interval(t *testing.T) {
	var logs lockedBuffer
	s, err := New(Config{Addresses: []string{"http://127.0.0.1:1"}, SpoolDir: filepath.Join(t.TempDir(), "spool"),
		SpoolMaxBytes: 64 << 10, QueueSize: 1}, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	for i := range 3000 {
		ev := &trace.Event{EventName: "anti_debugging", Timestamp: i + 1, HostProcessID: i,
			Metadata: &trace.Metadata{Properties: map[string]interface{}{"signatureID": "TRC-102"}}}
		require.NoError(t, s.Write(context.Background(), ev))
	}
	require.Positive(t, s.Stats().Evicted)
	assert.Equal(t, 1, strings.Count(logs.String(), "ALERTS LOST"), logs.String())
	_ = s.Close(context.Background())
}

func TestNew_warns_about_a_world_readable_secret_file(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "es-password")
	require.NoError(t, os.WriteFile(secret, []byte("s3cret\n"), 0o644))
	require.NoError(t, os.Chmod(secret, 0o644))
	cfg, err := ParseOutputSpec("elasticsearch:http://127.0.0.1:1?user=tracee&password-file=" + secret +
		"&spool-dir=" + filepath.Join(dir, "spool"))
	require.NoError(t, err)
	var logs lockedBuffer
	s, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	defer s.Close(context.Background())
	assert.Contains(t, logs.String(), "secret file "+secret+" is readable by its group and others (mode 0644): chmod 600")
	assert.NotContains(t, logs.String(), "s3cret")

	require.NoError(t, os.Chmod(secret, 0o600))
	cfg.SpoolDir = filepath.Join(dir, "spool2")
	var quiet lockedBuffer
	s2, err := New(cfg, slog.New(slog.NewTextHandler(&quiet, nil)))
	require.NoError(t, err)
	defer s2.Close(context.Background())
	assert.NotContains(t, quiet.String(), "secret file")
}
