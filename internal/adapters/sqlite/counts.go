package sqlite

import (
	"strings"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Hourly counts per combination of the filterable fields, kept in step with alerts by triggers.
// Count, Aggregate and Histogram (by whole hours) read them for the whole hours of a query and
// read alerts only for the partial hours at its ends, so a question over weeks of alerts costs
// the number of combinations, not the number of alerts. Free text still needs the alerts.
const countsSchema = `
CREATE TABLE IF NOT EXISTS alert_counts (
	hour         INTEGER NOT NULL, -- ts - ts % 1h, Unix nanoseconds
	rule_id      TEXT NOT NULL,
	host         TEXT NOT NULL,
	container_id TEXT NOT NULL,
	process      TEXT NOT NULL,
	technique_id TEXT NOT NULL,
	severity     INTEGER NOT NULL,
	n            INTEGER NOT NULL,
	PRIMARY KEY (hour, rule_id, host, container_id, process, technique_id, severity)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS alerts_counts_ai AFTER INSERT ON alerts BEGIN
	INSERT INTO alert_counts VALUES (new.ts - new.ts % 3600000000000, new.rule_id, new.host, new.container_id,
		new.process, new.technique_id, new.severity, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS alerts_counts_ad AFTER DELETE ON alerts BEGIN
	UPDATE alert_counts SET n = n - 1 WHERE hour = old.ts - old.ts % 3600000000000 AND rule_id = old.rule_id
		AND host = old.host AND container_id = old.container_id AND process = old.process
		AND technique_id = old.technique_id AND severity = old.severity;
END;`

const countsBackfill = `INSERT INTO alert_counts
	SELECT ts - ts % 3600000000000, rule_id, host, container_id, process, technique_id, severity, count(*)
	FROM alerts GROUP BY 1, 2, 3, 4, 5, 6, 7`

const countsHour = int64(time.Hour)

// counted returns a subquery of (t, rule_id, host, container_id, process, technique_id, n) rows
// whose n sum to the matching alerts: hourly counts for whole hours (t = the hour), alerts for
// the partial hours at the ends (t = ts, n = 1). ok is false when the counts cannot answer q
// (free text, or a file without them) or would not help (a window under two hours).
func (s *Store) counted(q domain.AlertQuery) (string, []any, bool) {
	if !s.counts || len(textWords(q.Text)) > 0 {
		return "", nil, false
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Sub(q.Since) < 2*time.Hour {
		return "", nil, false
	}
	filters, fargs := s.filters(q)
	const cols = "rule_id, host, container_id, process, technique_id"
	var parts []string
	var args []any
	// the alerts of a partial hour at one end of the window
	raw := func(lo, hi int64) {
		parts = append(parts, "SELECT ts AS t, "+cols+", 1 AS n FROM alerts"+
			whereSQL(append(append([]string{}, filters...), "ts >= ?", "ts < ?")))
		args = append(append(args, fargs...), lo, hi)
	}
	// whole hours: [ceil(since), floor(until))
	hourConds := append([]string{}, filters...)
	hourArgs := append([]any{}, fargs...)
	if !q.Since.IsZero() {
		since := q.Since.UnixNano()
		lo := ceilHour(since)
		hourConds, hourArgs = append(hourConds, "hour >= ?"), append(hourArgs, lo)
		if since < lo {
			raw(since, lo)
		}
	}
	if !q.Until.IsZero() {
		until := q.Until.UnixNano()
		hi := floorHour(until)
		hourConds, hourArgs = append(hourConds, "hour < ?"), append(hourArgs, hi)
		if hi < until {
			raw(hi, until)
		}
	}
	parts = append(parts, "SELECT hour AS t, "+cols+", n FROM alert_counts"+whereSQL(hourConds))
	args = append(args, hourArgs...)
	return "(" + strings.Join(parts, " UNION ALL ") + ")", args, true
}

func floorHour(ns int64) int64 { return ns - ns%countsHour }

func ceilHour(ns int64) int64 {
	if f := floorHour(ns); f != ns {
		return f + countsHour
	}
	return ns
}
