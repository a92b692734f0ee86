package elasticsearch

import (
	"bytes"
	"context"
	"log/slog"
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
