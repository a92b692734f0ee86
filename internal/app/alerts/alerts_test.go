package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
	"github.com/seed-428f5ad7/tracee/mocks"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func alert(id string, min int) domain.Alert {
	return domain.Alert{ID: id, Time: t0.Add(time.Duration(min) * time.Minute), RuleID: "TRC-102",
		RuleName: "Anti-Debugging detected", Severity: 3, Host: "web-1", ContainerID: "4f2a9c0e1b3d4f2a9c0e1b3d",
		Process: "bash", PID: 42, Message: "Anti-Debugging detected"}
}

func TestService_Run_validates_the_request(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"count and by", Request{Count: true, By: domain.FieldHost}, "cannot be combined"},
		{"follow and histogram", Request{Follow: true, Histogram: time.Hour}, "--follow streams alerts"},
		{"follow as one JSON document", Request{Follow: true, Format: FormatJSON}, "ndjson"},
		{"unknown output", Request{Format: "yaml"}, `unknown output "yaml"`},
		{"until before since", Request{Query: domain.AlertQuery{Since: t0, Until: t0.Add(-time.Hour)}}, "--until must be after --since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mocks.NewAlertSearcher(t) // no call expected
			err := New(m, &bytes.Buffer{}).Run(context.Background(), tt.req)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestService_Run_search_pages_up_to_the_limit(t *testing.T) {
	m := mocks.NewAlertSearcher(t)
	q := domain.AlertQuery{Hosts: []string{"web-1"}}
	first, second := q, q
	first.Limit = 1000
	second.Limit, second.Cursor = 500, "c1"
	page1 := make([]domain.Alert, 1000)
	for i := range page1 {
		page1[i] = alert("a", -i)
	}
	m.EXPECT().Search(mock.Anything, first).Return(domain.AlertPage{Alerts: page1, Next: "c1"}, nil).Once()
	m.EXPECT().Search(mock.Anything, second).Return(domain.AlertPage{Alerts: page1[:500], Next: "c2"}, nil).Once()
	var out bytes.Buffer
	require.NoError(t, New(m, &out).Run(context.Background(), Request{Query: q, Limit: 1500, Format: FormatNDJSON}))
	assert.Equal(t, 1500, strings.Count(out.String(), "\n"))
}

func TestService_Run_outputs(t *testing.T) {
	two := []domain.Alert{alert("1", 5), alert("2", 0)}
	two[1].ContainerID, two[1].Severity = "", 1
	tests := []struct {
		name   string
		req    Request
		expect func(m *mocks.AlertSearcher)
		check  func(t *testing.T, out string)
	}{
		{
			name: "table", req: Request{},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Search(mock.Anything, mock.Anything).Return(domain.AlertPage{Alerts: two}, nil)
			},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				require.Len(t, lines, 3)
				assert.Regexp(t, `^TIME\s+SEVERITY\s+RULE\s+HOST\s+CONTAINER\s+PROCESS\s+MESSAGE$`, lines[0])
				assert.Regexp(t, `high\s+TRC-102\s+web-1\s+4f2a9c0e1b3d\s+bash\(42\)\s+Anti-Debugging detected$`, lines[1])
				assert.Regexp(t, `low\s+TRC-102\s+web-1\s+-\s+bash\(42\)`, lines[2])
			},
		},
		{
			name: "table without alerts", req: Request{},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Search(mock.Anything, mock.Anything).Return(domain.AlertPage{}, nil)
			},
			check: func(t *testing.T, out string) { assert.Equal(t, "no alerts match\n", out) },
		},
		{
			name: "json", req: Request{Format: FormatJSON},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Search(mock.Anything, mock.Anything).Return(domain.AlertPage{Alerts: two}, nil)
			},
			check: func(t *testing.T, out string) {
				var got []domain.Alert
				require.NoError(t, json.Unmarshal([]byte(out), &got))
				assert.Equal(t, two, got)
			},
		},
		{
			name: "json without alerts", req: Request{Format: FormatJSON},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Search(mock.Anything, mock.Anything).Return(domain.AlertPage{}, nil)
			},
			check: func(t *testing.T, out string) { assert.Equal(t, "[]\n", out) },
		},
		{
			name: "ndjson", req: Request{Format: FormatNDJSON},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Search(mock.Anything, mock.Anything).Return(domain.AlertPage{Alerts: two}, nil)
			},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				require.Len(t, lines, 2)
				var a domain.Alert
				require.NoError(t, json.Unmarshal([]byte(lines[1]), &a))
				assert.Equal(t, two[1], a)
			},
		},
		{
			name: "count", req: Request{Count: true},
			expect: func(m *mocks.AlertSearcher) { m.EXPECT().Count(mock.Anything, mock.Anything).Return(1234, nil) },
			check:  func(t *testing.T, out string) { assert.Equal(t, "1234\n", out) },
		},
		{
			name: "count as json", req: Request{Count: true, Format: FormatJSON},
			expect: func(m *mocks.AlertSearcher) { m.EXPECT().Count(mock.Anything, mock.Anything).Return(7, nil) },
			check:  func(t *testing.T, out string) { assert.JSONEq(t, `{"count":7}`, out) },
		},
		{
			name: "by rule", req: Request{By: domain.FieldRule},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Aggregate(mock.Anything, mock.Anything, domain.FieldRule, DefaultBySize).
					Return([]domain.Bucket{{Key: "TRC-102", Count: 40}, {Key: "TRC-1016", Count: 10}}, nil)
			},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
				require.Len(t, lines, 3)
				assert.Regexp(t, `RULE\s+COUNT`, lines[0])
				assert.Regexp(t, `TRC-102\s+40\s+█{30}$`, lines[1])
				assert.Regexp(t, `TRC-1016\s+10\s+█{7}▌$`, lines[2])
			},
		},
		{
			name: "by host as ndjson", req: Request{By: domain.FieldHost, BySize: 3, Format: FormatNDJSON},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Aggregate(mock.Anything, mock.Anything, domain.FieldHost, 3).
					Return([]domain.Bucket{{Key: "web-1", Count: 4}}, nil)
			},
			check: func(t *testing.T, out string) { assert.JSONEq(t, `{"host":"web-1","count":4}`, out) },
		},
		{
			name: "histogram fills the window", req: Request{Histogram: time.Hour,
				Query: domain.AlertQuery{Since: t0, Until: t0.Add(4 * time.Hour)}},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Histogram(mock.Anything, mock.Anything, time.Hour).Return([]domain.TimeBucket{
					{Start: t0.Add(time.Hour), Count: 8}, {Start: t0.Add(3 * time.Hour), Count: 2}}, nil)
			},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
				require.Len(t, lines, 5)
				assert.Regexp(t, `\s0 $`, lines[0])
				assert.Regexp(t, `\s8 █{50}$`, lines[1])
				assert.Regexp(t, `\s2 █{12}▌$`, lines[3])
				assert.Equal(t, "10 alerts in 4 buckets of 1h", lines[4])
			},
		},
		{
			name: "histogram as json", req: Request{Histogram: 15 * time.Minute, Format: FormatJSON},
			expect: func(m *mocks.AlertSearcher) {
				m.EXPECT().Histogram(mock.Anything, mock.Anything, 15*time.Minute).Return([]domain.TimeBucket{
					{Start: t0, Count: 1}, {Start: t0.Add(30 * time.Minute), Count: 2}}, nil)
			},
			check: func(t *testing.T, out string) {
				assert.JSONEq(t, `{"interval":"15m","buckets":[{"start":"2026-11-27T10:00:00Z","count":1},
					{"start":"2026-11-27T10:15:00Z","count":0},{"start":"2026-11-27T10:30:00Z","count":2}]}`, out)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mocks.NewAlertSearcher(t)
			tt.expect(m)
			var out bytes.Buffer
			require.NoError(t, New(m, &out).Run(context.Background(), tt.req))
			tt.check(t, out.String())
		})
	}
}

func TestService_Run_returns_store_errors(t *testing.T) {
	m := mocks.NewAlertSearcher(t)
	m.EXPECT().Search(mock.Anything, mock.Anything).Return(domain.AlertPage{}, domain.ErrStoreUnreachable)
	err := New(m, &bytes.Buffer{}).Run(context.Background(), Request{})
	assert.ErrorIs(t, err, domain.ErrStoreUnreachable)
}

func TestService_Run_follow_prints_backlog_then_new_alerts_once(t *testing.T) {
	m := mocks.NewAlertSearcher(t)
	// the backlog, newest first
	m.EXPECT().Search(mock.Anything, mock.MatchedBy(func(q domain.AlertQuery) bool { return !q.Ascending })).
		Return(domain.AlertPage{Alerts: []domain.Alert{alert("b", 1), alert("a", 0)}}, nil).Once()
	polls := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.EXPECT().Search(mock.Anything, mock.MatchedBy(func(q domain.AlertQuery) bool { return q.Ascending })).
		RunAndReturn(func(_ context.Context, q domain.AlertQuery) (domain.AlertPage, error) {
			polls++
			switch polls {
			case 1: // from the newest printed alert: b again, and c at the same instant
				assert.True(t, q.Since.Equal(t0.Add(time.Minute)))
				return domain.AlertPage{Alerts: []domain.Alert{alert("b", 1), alert("c", 1)}}, nil
			case 2:
				return domain.AlertPage{Alerts: []domain.Alert{alert("b", 1), alert("c", 1), alert("d", 2)}}, nil
			case 3:
				assert.True(t, q.Since.Equal(t0.Add(2*time.Minute)))
				return domain.AlertPage{}, errors.Join(domain.ErrNoAlerts) // tolerated
			}
			cancel()
			return domain.AlertPage{}, ctx.Err()
		})
	out := &syncbuf.Buffer{}
	err := New(m, out).Run(ctx, Request{Follow: true, Format: FormatNDJSON, PollEvery: time.Millisecond})
	require.NoError(t, err)
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a domain.Alert
		require.NoError(t, json.Unmarshal([]byte(line), &a))
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, ids)
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"10m", now.Add(-10 * time.Minute), false},
		{"2d", now.Add(-48 * time.Hour), false},
		{"1w", now.Add(-7 * 24 * time.Hour), false},
		{"now", now, false},
		{"2026-11-20T08:00:00Z", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), false},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.Local), false},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
		})
	}
}
