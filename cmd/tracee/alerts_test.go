package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
)

// seededAlertStore records 300 generated alerts, one a minute up to now, in a fresh embedded store
// (under their own hosts: web-1, web-2, db-1).
func seededAlertStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alerts.db")
	s, err := sqlite.Open(sqlite.Config{Path: path, EventHost: true}, nil)
	require.NoError(t, err)
	ctx := context.Background()
	start := time.Now().Add(-300 * time.Minute).Truncate(time.Minute)
	for _, ev := range alertstest.Events(start, 300, time.Minute) {
		require.NoError(t, s.Write(ctx, ev))
	}
	require.NoError(t, s.Close(ctx))
	return path
}

func runAlerts(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, &errOut)
	root.SetArgs(append([]string{"alerts", "search"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestAlertsSearch_outputs(t *testing.T) {
	db := seededAlertStore(t)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"table of the last 10 minutes", []string{"--since", "10m"}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			assert.Regexp(t, `^TIME\s+SEVERITY\s+RULE\s+HOST`, lines[0])
			assert.GreaterOrEqual(t, len(lines), 10) // 9-11 alerts, depending on the second
			assert.LessOrEqual(t, len(lines), 12)
		}},
		{"json with filters", []string{"--host", "web-1", "--severity", "high", "--limit", "5", "-o", "json"}, func(t *testing.T, out string) {
			var got []domain.Alert
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			require.Len(t, got, 5)
			for i, a := range got {
				assert.Equal(t, "web-1", a.Host)
				assert.GreaterOrEqual(t, a.Severity, 3)
				assert.NotEmpty(t, a.Event)
				if i > 0 {
					assert.True(t, a.Time.Before(got[i-1].Time), "newest first")
				}
			}
		}},
		{"ndjson with text", []string{"shell", "--rule", "TRC-1016", "-o", "ndjson", "--limit", "1000"}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			assert.Greater(t, len(lines), 10)
			for _, l := range lines {
				var a domain.Alert
				require.NoError(t, json.Unmarshal([]byte(l), &a))
				assert.Equal(t, "TRC-1016", a.RuleID)
			}
		}},
		{"count", []string{"--count", "--id", "TRC-102"}, func(t *testing.T, out string) {
			n, err := strconv.Atoi(strings.TrimSpace(out))
			require.NoError(t, err)
			assert.Greater(t, n, 0)
			assert.Less(t, n, 300)
		}},
		{"by rule", []string{"--by", "rule"}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			assert.Regexp(t, `RULE\s+COUNT`, lines[0])
			assert.GreaterOrEqual(t, len(lines), 1+len(alertstest.Rules)-1)
			assert.Contains(t, out, "█")
		}},
		{"by container as json", []string{"--by", "container", "-o", "json"}, func(t *testing.T, out string) {
			var got struct {
				By      string          `json:"by"`
				Buckets []domain.Bucket `json:"buckets"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			assert.Equal(t, "container", got.By)
			assert.Len(t, got.Buckets, 3)
		}},
		{"histogram", []string{"--since", "6h", "--histogram", "1h"}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			assert.GreaterOrEqual(t, len(lines), 7)
			assert.Regexp(t, `^300 alerts in \d+ buckets of 1h$`, lines[len(lines)-1])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runAlerts(t, append(tt.args, "--db", db)...)
			require.NoError(t, err)
			tt.check(t, out)
		})
	}
}

func TestAlertsSearch_errors_are_one_line(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no store yet", []string{"--db", filepath.Join(t.TempDir(), "none.db")}, "no alerts recorded yet: no alert store at"},
		{"unreachable cluster", []string{"--elasticsearch", "http://127.0.0.1:1"}, "alert store unreachable: cannot reach Elasticsearch at http://127.0.0.1:1"},
		{"bad severity", []string{"--severity", "urgent"}, "--severity"},
		{"bad group", []string{"--by", "user"}, `cannot group by "user"`},
		{"bad histogram", []string{"--histogram", "hourly"}, "--histogram"},
		{"follow as json", []string{"--follow", "-o", "json"}, "ndjson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runAlerts(t, tt.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestAlertsSearch_follow_shows_alerts_the_agent_records_later(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	store, err := sqlite.Open(sqlite.Config{Path: path, EventHost: true}, nil)
	require.NoError(t, err)
	defer store.Close(context.Background())
	evs := alertstest.Events(time.Now().Add(-time.Minute).Truncate(time.Millisecond), 6, time.Second)
	for _, ev := range evs[:3] {
		require.NoError(t, store.Write(context.Background(), ev))
	}
	require.NoError(t, store.Flush(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncbuf.Buffer{}
	root := newRootCmd(strings.NewReader(""), out, &bytes.Buffer{})
	root.SetArgs([]string{"alerts", "search", "--follow", "-o", "ndjson", "--db", path})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	lines := func() int { return strings.Count(out.String(), "\n") }
	require.Eventually(t, func() bool { return lines() == 3 }, 10*time.Second, 20*time.Millisecond, "the backlog")
	for _, ev := range evs[3:] {
		require.NoError(t, store.Write(context.Background(), ev))
	}
	require.NoError(t, store.Flush(context.Background()))
	require.Eventually(t, func() bool { return lines() == 6 }, 10*time.Second, 20*time.Millisecond, "the new alerts")
	cancel()
	require.NoError(t, <-done)
	var pids []int
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a domain.Alert
		require.NoError(t, json.Unmarshal([]byte(l), &a))
		pids = append(pids, a.PID)
	}
	assert.Equal(t, []int{1000, 1001, 1002, 1003, 1004, 1005}, pids, "oldest first, each once")
}
