package elasticsearch

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// A spool over its budget evicts on every write: that used to log one "ALERTS LOST" line each
// time (833 a second); it is one line per interval with the counts.
func TestSink_alerts_lost_is_one_log_line_per_interval(t *testing.T) {
	var logs syncbuf.Buffer
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
	var logs syncbuf.Buffer
	s, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	defer s.Close(context.Background())
	assert.Contains(t, logs.String(), "secret file "+secret+" is readable by its group and others (mode 0644): chmod 600")
	assert.NotContains(t, logs.String(), "s3cret")

	require.NoError(t, os.Chmod(secret, 0o600))
	cfg.SpoolDir = filepath.Join(dir, "spool2")
	var quiet syncbuf.Buffer
	s2, err := New(cfg, slog.New(slog.NewTextHandler(&quiet, nil)))
	require.NoError(t, err)
	defer s2.Close(context.Background())
	assert.NotContains(t, quiet.String(), "secret file")
}

// Write returns only once the alert is on disk: a kill -9 right after it loses nothing.
func TestSink_Write_is_durable_before_it_returns(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1")
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	defer s.Close(context.Background())
	ev := testAlert(7, "10.0.0.1")
	require.NoError(t, s.Write(context.Background(), &ev))
	segs, err := filepath.Glob(filepath.Join(cfg.SpoolDir, "*"+spoolExt))
	require.NoError(t, err)
	require.Len(t, segs, 1)
	data, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	assert.Contains(t, string(data), DocumentID(&ev), "the alert's line is in the spool file")
}

// A one-shot run (a replay) ships a repaired document before it closes instead of leaving it in
// the spool for a next run that may never come.
func TestSink_Close_ships_what_waits_in_the_spool(t *testing.T) {
	f, srv := newFakeES(t)
	f.itemStatus = func(_ int, id string, src []byte) (int, string, string) {
		if strings.Contains(string(src), `"destination":{"ip":"not-an-ip"`) {
			return 400, "document_parsing_exception",
				"[1:2] failed to parse field [destination.ip] of type [ip] in document with id '" + id + "'"
		}
		return 0, "", ""
	}
	cfg := testConfig(t, srv.URL)
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(5, "not-an-ip")
	require.NoError(t, s.Write(context.Background(), &ev))
	require.NoError(t, s.Close(context.Background())) // at once: the repair happens during Close
	assert.Equal(t, 1, f.count())
	assert.Zero(t, s.Stats().SpoolBytes, "nothing is left in the spool")
	segs, _ := filepath.Glob(filepath.Join(cfg.SpoolDir, "*"+spoolExt))
	assert.Empty(t, segs)
}
