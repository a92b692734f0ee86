package app_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/adapters/stdout"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
	"github.com/seed-428f5ad7/tracee/mocks"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func alert(i int) *trace.Event {
	return &trace.Event{EventName: "anti_debugging", Timestamp: i + 1, HostProcessID: i,
		Metadata: &trace.Metadata{Properties: map[string]interface{}{"signatureID": "TRC-102", "Severity": 3}}}
}

// brokenSinks builds, for each sink type, an output that fails on its first write.
func brokenSinks(t *testing.T) map[string]ports.EventSink {
	t.Helper()
	out := map[string]ports.EventSink{}

	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, r.Close()) // the reader is gone: `| head -1`
	t.Cleanup(func() { w.Close() })
	pipe, err := stdout.New(stdout.Config{Format: stdout.FormatJSON}, w)
	require.NoError(t, err)
	out["stdout broken pipe"] = pipe

	if _, err := os.Stat("/dev/full"); err == nil {
		full, err := stdout.New(stdout.Config{Format: stdout.FormatTable, Path: "/dev/full"}, nil)
		require.NoError(t, err)
		out["file on a full disk"] = full
	}

	store, err := sqlite.Open(sqlite.Config{Path: filepath.Join(t.TempDir(), "alerts.db")}, nil)
	require.NoError(t, err)
	require.NoError(t, store.Close(context.Background())) // a store whose database went away
	out["sqlite closed"] = store

	es, err := elasticsearch.New(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:1"},
		SpoolDir: filepath.Join(t.TempDir(), "spool")}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, es.Close(context.Background()))
	out["elasticsearch closed"] = es

	failing := mocks.NewEventSink(t)
	failing.EXPECT().Write(mock.Anything, mock.Anything).Return(errors.New("disk I/O error")).Once()
	failing.EXPECT().Close(mock.Anything).Return(errors.New("disk I/O error")).Once()
	out["failing sink"] = failing
	return out
}

func TestOutputs_a_failing_output_is_closed_alone(t *testing.T) {
	const n = 5000
	for name, broken := range brokenSinks(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ok.json")
			healthy, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: path}, nil)
			require.NoError(t, err)
			var logs syncbuf.Buffer
			out := app.NewOutputs(context.Background(), app.OutputConfig{},
				[]app.NamedSink{{Name: "broken", Sink: broken}, {Name: "json:ok.json", Sink: healthy}},
				slog.New(slog.NewTextHandler(&logs, nil)))
			for i := 0; i < n; i++ {
				out.Write(alert(i))
			}
			require.NoError(t, out.Close(context.Background()), "a closed output does not fail the run")

			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, n, strings.Count(string(data), "\n"), "the healthy output got every event")
			st := out.Stats()
			assert.True(t, st[0].Closed)
			assert.EqualValues(t, n, st[0].Written+st[0].Failed+st[0].Dropped)
			assert.NotZero(t, st[0].Failed)
			assert.False(t, st[1].Closed)
			assert.EqualValues(t, n, st[1].Written)
			assert.Equal(t, 1, strings.Count(logs.String(), "output failed and is closed"), logs.String())
		})
	}
}

func TestOutputs_a_rejected_event_does_not_close_the_output(t *testing.T) {
	sink := mocks.NewEventSink(t)
	sink.EXPECT().Write(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, ev *trace.Event) error {
		if ev.HostProcessID == 0 {
			return domain.ErrEventRejected
		}
		return nil
	})
	sink.EXPECT().Flush(mock.Anything).Return(nil).Maybe()
	sink.EXPECT().Close(mock.Anything).Return(nil).Once()
	out := app.NewOutputs(context.Background(), app.OutputConfig{}, []app.NamedSink{{Name: "m", Sink: sink}},
		slog.New(slog.DiscardHandler))
	for i := 0; i < 3; i++ {
		out.Write(alert(i))
	}
	require.NoError(t, out.Close(context.Background()))
	st := out.Stats()[0]
	assert.False(t, st.Closed)
	assert.EqualValues(t, 2, st.Written)
	assert.EqualValues(t, 1, st.Failed)
}

// An alerts-only output (the embedded store) is not queued base events; Write says whether any
// output kept the event, so the agent may hand the others back to the source.
func TestOutputs_alerts_only_output_gets_no_base_events(t *testing.T) {
	base := &trace.Event{EventName: "ptrace"}
	tests := []struct {
		name       string
		alertsOnly bool
		ev         *trace.Event
		wantKept   bool
		wantWrites int
	}{
		{"base event, alerts-only output", true, base, false, 0},
		{"alert, alerts-only output", true, alert(1), true, 1},
		{"base event, every-event output", false, base, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := mocks.NewEventSink(t)
			if tt.wantWrites > 0 { // an unexpected Write fails the mock
				sink.EXPECT().Write(mock.Anything, tt.ev).Return(nil).Times(tt.wantWrites)
			}
			sink.EXPECT().Flush(mock.Anything).Return(nil).Maybe()
			sink.EXPECT().Close(mock.Anything).Return(nil).Once()
			outs := app.NewOutputs(context.Background(), app.OutputConfig{},
				[]app.NamedSink{{Name: "out", Sink: sink, AlertsOnly: tt.alertsOnly}}, slog.New(slog.DiscardHandler))
			assert.Equal(t, tt.wantKept, outs.Write(tt.ev))
			require.NoError(t, outs.Close(context.Background()))
		})
	}
}
