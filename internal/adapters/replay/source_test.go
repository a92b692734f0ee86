package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const execLine = `{"eventName":"sched_process_exec","processName":"sh"}`

func selection(t *testing.T, cat *domain.Catalog) domain.Selection {
	t.Helper()
	sel, err := domain.Select(cat, []string{"sched_process_exec"})
	require.NoError(t, err)
	return sel
}

// replayText runs a source over input and returns the emitted event names, the logs and the error.
func replayText(t *testing.T, cfg replay.Config, input string) ([]string, string, error, replay.Stats) {
	t.Helper()
	cat := domain.NewCatalog(domain.BaseEvents())
	var logs bytes.Buffer
	if cfg.Path == "" {
		cfg.Path, cfg.Stdin = "-", strings.NewReader(input)
	}
	cfg.Catalog = cat
	src := replay.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	var names []string
	err := src.Run(context.Background(), selection(t, cat), func(ev *trace.Event) {
		names = append(names, ev.ProcessName)
	})
	return names, logs.String(), err, src.Stats()
}

func TestSource_over_long_line_is_skipped_and_reported_once(t *testing.T) {
	long := `{"eventName":"sched_process_exec","processName":"` + strings.Repeat("x", 200) + `"}`
	input := strings.Join([]string{execLine, long, execLine, long, long, execLine}, "\n") + "\n"
	names, logs, err, st := replayText(t, replay.Config{MaxLine: 100}, input)
	require.NoError(t, err)
	assert.Equal(t, []string{"sh", "sh", "sh"}, names, "the lines after an over-long one are read")
	assert.EqualValues(t, 3, st.TooLong)
	assert.Equal(t, 1, strings.Count(logs, "line longer than 100 bytes"), logs)
	assert.Contains(t, logs, "stdin:2: ")
	assert.Contains(t, logs, "too_long=3")
}

func TestSource_line_over_16MiB_does_not_abort_the_replay(t *testing.T) {
	input := execLine + "\n" + `{"eventName":"x","a":"` + strings.Repeat("y", replay.DefaultMaxLine+10) + "\"}\n" + execLine + "\n"
	names, logs, err, _ := replayText(t, replay.Config{}, input)
	require.NoError(t, err)
	assert.Equal(t, []string{"sh", "sh"}, names)
	assert.Contains(t, logs, "stdin:2: not a Tracee JSON event: line longer than 16777216 bytes")
}

func TestSource_over_long_line_is_fatal_with_strict(t *testing.T) {
	_, _, err, _ := replayText(t, replay.Config{MaxLine: 10, Strict: true}, execLine+"\n")
	var lerr *replay.LineError
	require.ErrorAs(t, err, &lerr)
	assert.Equal(t, 1, lerr.Line)
}

func TestSource_dev_zero_ends_with_one_clear_error(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("needs /dev/zero")
	}
	_, logs, err, _ := replayText(t, replay.Config{Path: "/dev/zero", MaxLine: 1 << 20}, "")
	require.ErrorIs(t, err, replay.ErrBinaryInput)
	assert.Equal(t, "replay /dev/zero: line 1: binary data (NUL bytes), not JSON lines; replay stopped", err.Error())
	assert.Empty(t, logs)
}

func TestSource_malformed_lines_are_one_log_line_and_a_count(t *testing.T) {
	input := execLine + "\n" + strings.Repeat("{not json\n", 5000) + execLine + "\n"
	names, logs, err, st := replayText(t, replay.Config{}, input)
	require.NoError(t, err)
	assert.Len(t, names, 2)
	assert.EqualValues(t, 5000, st.Malformed)
	assert.Equal(t, 1, strings.Count(logs, "not a Tracee JSON event"), logs)
	assert.Contains(t, logs, "stdin:2: not a Tracee JSON event")
	assert.Contains(t, logs, "malformed=5000")
}

func TestSource_unknown_event_names_are_counted_and_reported_once_with_the_nearest(t *testing.T) {
	input := strings.Repeat(`{"eventName":"sched_proces_exec"}`+"\n", 3) + `{"eventName":"security_file_open"}` + "\n" + execLine + "\n"
	names, logs, err, st := replayText(t, replay.Config{}, input)
	require.NoError(t, err)
	assert.Equal(t, []string{"sh"}, names)
	assert.EqualValues(t, 3, st.UnknownNames, "a known event the selection does not need is not unknown")
	assert.Equal(t, 1, strings.Count(logs, `unknown event \"sched_proces_exec\"`), logs)
	assert.Contains(t, logs, "did you mean sched_process_exec")
	assert.Contains(t, logs, "stdin:1:")
	assert.Contains(t, logs, "unknown_events=3")
}

func TestSource_last_line_without_newline_is_read(t *testing.T) {
	names, _, err, _ := replayText(t, replay.Config{}, execLine+"\n\n"+execLine)
	require.NoError(t, err)
	assert.Len(t, names, 2)
}

// TestSource_keeps_input_order_across_batches_and_workers: lines decoded in parallel are emitted
// in input order, and a malformed line is reported with its own line number.
func TestSource_keeps_input_order_across_batches_and_workers(t *testing.T) {
	var in strings.Builder
	var want []string
	for i := 1; i <= 5000; i++ {
		if i == 3001 {
			in.WriteString("{broken\n")
			continue
		}
		name := fmt.Sprintf("p%d", i)
		want = append(want, name)
		fmt.Fprintf(&in, `{"eventName":"sched_process_exec","processName":%q}`+"\n", name)
	}
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			names, logs, err, st := replayText(t, replay.Config{Workers: workers}, in.String())
			require.NoError(t, err)
			assert.Equal(t, want, names)
			assert.EqualValues(t, 1, st.Malformed)
			assert.Contains(t, logs, "stdin:3001: not a Tracee JSON event")

			names, _, err, _ = replayText(t, replay.Config{Workers: workers, Strict: true}, in.String())
			var lerr *replay.LineError
			require.ErrorAs(t, err, &lerr)
			assert.Equal(t, 3001, lerr.Line)
			assert.Equal(t, want[:3000], names, "every event before the bad line, and none after")
		})
	}
}

// TestSource_stdin_lines_are_emitted_before_more_input_comes: a batch is handed over when the input
// has nothing more buffered, so a live pipe is not held back until a batch fills.
func TestSource_stdin_lines_are_emitted_before_more_input_comes(t *testing.T) {
	pr, pw := io.Pipe()
	cat := domain.NewCatalog(domain.BaseEvents())
	src := replay.New(replay.Config{Path: "-", Stdin: pr, Catalog: cat}, slog.New(slog.DiscardHandler))
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- src.Run(context.Background(), selection(t, cat), func(ev *trace.Event) { got <- ev.ProcessName })
	}()
	for _, name := range []string{"a", "b"} {
		_, err := fmt.Fprintf(pw, `{"eventName":"sched_process_exec","processName":%q}`+"\n", name)
		require.NoError(t, err)
		select {
		case n := <-got:
			assert.Equal(t, name, n)
		case <-time.After(10 * time.Second):
			t.Fatalf("event %s not emitted while the pipe stays open", name)
		}
	}
	require.NoError(t, pw.Close())
	require.NoError(t, <-done)
}
