package elasticsearch

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testItem(i int) *spoolItem {
	return &spoolItem{Index: "tracee-alerts-2026.11.27", ID: fmt.Sprintf("id-%04d", i),
		Body: json.RawMessage(fmt.Sprintf(`{"n":%d,"pad":"%0100d"}`, i, 0))}
}

func drain(t *testing.T, s *spool) []string {
	t.Helper()
	var ids []string
	for {
		items, err := s.Next()
		require.NoError(t, err)
		if len(items) == 0 {
			return ids
		}
		for _, it := range items {
			ids = append(ids, it.ID)
			s.Done(it)
		}
	}
}

func TestSpool_replays_in_order_and_deletes_done_segments(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20) // 128 KiB segments
	require.NoError(t, err)
	var want []string
	for i := range 3000 {
		require.NoError(t, s.Append(testItem(i)))
		want = append(want, testItem(i).ID)
	}
	assert.Greater(t, len(s.segments), 2, "spread over several segments")
	assert.Equal(t, want, drain(t, s))
	assert.True(t, s.Empty())
	assert.Zero(t, s.Bytes())
	files, _ := filepath.Glob(filepath.Join(dir, "*"+spoolExt))
	assert.Empty(t, files)
}

func TestSpool_survives_reopen(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	for i := range 10 {
		require.NoError(t, s.Append(testItem(i)))
	}
	require.NoError(t, s.Close())

	s2, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	assert.Len(t, drain(t, s2), 10)
}

func TestSpool_unfinished_segment_is_replayed_after_restart(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, s.Append(testItem(i)))
	}
	items, err := s.Next()
	require.NoError(t, err)
	require.Len(t, items, 5)
	s.Done(items[0]) // only one of five indexed, then the agent stops
	require.NoError(t, s.Close())

	s2, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	assert.Len(t, drain(t, s2), 5, "resent in full; deterministic IDs make the resend harmless")
}

func TestSpool_skips_a_torn_last_line(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	require.NoError(t, s.Append(testItem(1), testItem(2)))
	require.NoError(t, s.Close())
	f, err := os.OpenFile(s.segments[0].path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, _ = f.WriteString(`{"i":"x","d":"torn","b":{"a`)
	require.NoError(t, f.Close())

	s2, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, []string{"id-0001", "id-0002"}, drain(t, s2))
}

func TestSpool_evicts_oldest_over_budget_and_counts(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 64<<10) // 8 KiB segments
	require.NoError(t, err)
	var evictedCalls int
	s.onEvicted = func(n int, total uint64) { evictedCalls++ }
	const n = 2000 // ~300 KB of items into a 64 KiB budget
	for i := range n {
		require.NoError(t, s.Append(testItem(i)))
	}
	assert.LessOrEqual(t, s.Bytes(), int64(64<<10))
	ids := drain(t, s)
	assert.Equal(t, uint64(n-len(ids)), s.Evicted(), "every alert is either kept or counted as evicted")
	assert.Positive(t, evictedCalls)
	assert.Equal(t, fmt.Sprintf("id-%04d", n-1), ids[len(ids)-1], "the newest alerts are kept")
	assert.NotEqual(t, "id-0000", ids[0], "the oldest alerts went first")
}

func TestSpool_never_evicts_a_segment_being_replayed(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 64<<10)
	require.NoError(t, err)
	for i := range 50 {
		require.NoError(t, s.Append(testItem(i)))
	}
	items, err := s.Next()
	require.NoError(t, err)
	for i := 50; i < 2000; i++ {
		require.NoError(t, s.Append(testItem(i)))
	}
	_, err = os.Stat(items[0].seg.path)
	assert.NoError(t, err, "the segment in replay is still on disk")
}

func TestSpool_one_owner_per_directory(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20)
	require.NoError(t, err)
	_, err = openSpool(dir, 1<<20)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "give each output its own spool-dir=")
	require.NoError(t, s.Close())
	s2, err := openSpool(dir, 1<<20)
	require.NoError(t, err, "free again after Close")
	require.NoError(t, s2.Close())
}

// Lines are written without encoding/json; what Next reads back is what was appended, and a
// document that is not on one line is compacted so that the segment stays one item per line.
func TestSpool_lines_read_back_as_written(t *testing.T) {
	for _, sync := range []SpoolSync{SpoolSyncBatch, SpoolSyncNone} {
		t.Run("spool-sync="+string(sync), func(t *testing.T) {
			dir := t.TempDir()
			s, err := openSpool(dir, 1<<20)
			require.NoError(t, err)
			s.noSync = sync == SpoolSyncNone
			in := []*spoolItem{
				{Index: "tracee-alerts-2026.11.30", ID: "a1", Body: json.RawMessage(`{"x":"<&>\"\n"}`)},
				{Index: "odd\"index\\", ID: "ü\u2028", Fixes: 2, Body: json.RawMessage("{\n  \"pretty\": [1,\n 2]\n}")},
			}
			require.NoError(t, s.Append(in...))
			// on disk before Close (a kill -9 now loses nothing): a second reader sees both lines
			seg, err := filepath.Glob(filepath.Join(dir, "*"+spoolExt))
			require.NoError(t, err)
			require.Len(t, seg, 1)
			data, err := os.ReadFile(seg[0])
			require.NoError(t, err)
			assert.Equal(t, 2, countLines(seg[0]), "%s", data)
			require.NoError(t, s.Close())

			s, err = openSpool(dir, 1<<20)
			require.NoError(t, err)
			defer s.Close()
			out, err := s.Next()
			require.NoError(t, err)
			require.Len(t, out, 2)
			for i, it := range out {
				assert.Equal(t, in[i].Index, it.Index)
				assert.Equal(t, in[i].ID, it.ID)
				assert.Equal(t, in[i].Fixes, it.Fixes)
				assert.JSONEq(t, string(in[i].Body), string(it.Body))
			}
		})
	}
}
