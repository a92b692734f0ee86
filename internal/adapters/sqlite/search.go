package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Page sizes of Search.
const (
	DefaultPageSize = 100
	MaxPageSize     = 10000
)

var aggColumns = map[domain.AlertField]string{
	domain.FieldRule:      "rule_id",
	domain.FieldHost:      "host",
	domain.FieldTechnique: "technique_id",
	domain.FieldContainer: "container_id",
	domain.FieldProcess:   "process",
}

// Search returns one page of matching alerts, newest first unless q.Ascending.
func (s *Store) Search(ctx context.Context, q domain.AlertQuery) (domain.AlertPage, error) {
	if s.disabled != nil {
		return domain.AlertPage{}, s.disabled
	}
	where, args := s.where(q)
	desc := !q.Ascending
	if q.Cursor != "" {
		ts, id, err := parseCursor(q.Cursor)
		if err != nil {
			return domain.AlertPage{}, err
		}
		op := ">"
		if desc {
			op = "<"
		}
		where = append(where, "(ts "+op+" ? OR (ts = ? AND id "+op+" ?))")
		args = append(args, ts, ts, id)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	order := "ts, id"
	if desc {
		order = "ts DESC, id DESC"
	}
	// choose the page on (ts, id) alone, then read its rows: a sort, when the plan needs one,
	// then holds two integers per candidate instead of whole alerts
	from, err := s.searchSource(ctx, q)
	if err != nil {
		return domain.AlertPage{}, err
	}
	query := "WITH page AS (SELECT id, ts FROM " + from + whereSQL(where) + " ORDER BY " + order + " LIMIT ?) " +
		"SELECT a.id, a.ts, rule_id, rule_name, event_name, severity, technique_id, technique, host, a.container_id, " +
		"container, process, pid, message, description, coalesce(e.event, ''), " + identityColumns + " FROM page JOIN alerts a ON a.id = page.id " +
		"LEFT JOIN alert_events e ON e.id = page.id " + s.identityJoin() + "ORDER BY " + strings.ReplaceAll(strings.ReplaceAll(order, "ts", "page.ts"), "id", "page.id")
	rows, err := s.ro.QueryContext(ctx, query, append(args, limit)...)
	if err != nil {
		return domain.AlertPage{}, classify(s.cfg.Path, err)
	}
	defer rows.Close()
	var page domain.AlertPage
	var lastTS, lastID int64
	var dec eventDecoder
	for rows.Next() {
		var a domain.Alert
		var id, ts int64
		var event []byte
		if err := rows.Scan(&id, &ts, &a.RuleID, &a.RuleName, &a.EventName, &a.Severity, &a.TechniqueID,
			&a.Technique, &a.Host, &a.ContainerID, &a.Container, &a.Process, &a.PID, &a.Message,
			&a.Description, &event, &a.Image, &a.Pod, &a.PodNamespace); err != nil {
			return domain.AlertPage{}, classify(s.cfg.Path, err)
		}
		a.ID = strconv.FormatInt(id, 10)
		a.Time = time.Unix(0, ts).UTC()
		if a.Event, err = dec.decode(event); err != nil {
			return domain.AlertPage{}, fmt.Errorf("alert store %s: alert %d: %w", s.cfg.Path, id, err)
		}
		page.Alerts = append(page.Alerts, a)
		lastTS, lastID = ts, id
	}
	if err := rows.Err(); err != nil {
		return domain.AlertPage{}, classify(s.cfg.Path, err)
	}
	if len(page.Alerts) == limit {
		page.Next = fmt.Sprintf("%d:%d", lastTS, lastID)
	}
	return page, nil
}

// denseText is the number of text matches above which a search walks the time index and stops
// at the page's end, rather than sorting every match by time.
const denseText = 5000

// searchSource picks the plan of a search with free text: when the words match many alerts, walk
// alerts in time order and test each against the text matches (it stops after one page); when
// they match few, let SQLite start from the matches and sort them.
func (s *Store) searchSource(ctx context.Context, q domain.AlertQuery) (string, error) {
	words := textWords(q.Text)
	if len(words) == 0 || s.TextSearch() == textLike {
		return "alerts", nil
	}
	var n int
	err := s.ro.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM alerts_fts WHERE alerts_fts MATCH ? LIMIT ?)",
		s.ftsQuery(words), denseText+1).Scan(&n)
	if err != nil {
		return "", classify(s.cfg.Path, err)
	}
	if n > denseText {
		return "alerts INDEXED BY alerts_ts", nil
	}
	return "alerts", nil
}

func parseCursor(c string) (ts, id int64, err error) {
	a, b, ok := strings.Cut(c, ":")
	if ok {
		ts, err = strconv.ParseInt(a, 10, 64)
		if err == nil {
			id, err = strconv.ParseInt(b, 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%w: %q", domain.ErrBadCursor, c)
	}
	return ts, id, nil
}

// Count returns the number of matching alerts.
func (s *Store) Count(ctx context.Context, q domain.AlertQuery) (int64, error) {
	if s.disabled != nil {
		return 0, s.disabled
	}
	query, args := "", []any(nil)
	if from, cargs, ok := s.counted(q); ok {
		query, args = "SELECT coalesce(sum(n), 0) FROM "+from, cargs
	} else {
		where, wargs := s.where(q)
		query, args = "SELECT count(*) FROM alerts"+whereSQL(where), wargs
	}
	var n int64
	if err := s.ro.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, classify(s.cfg.Path, err)
	}
	return n, nil
}

// Aggregate counts matching alerts per value of field.
func (s *Store) Aggregate(ctx context.Context, q domain.AlertQuery, field domain.AlertField, size int) ([]domain.Bucket, error) {
	if s.disabled != nil {
		return nil, s.disabled
	}
	col, ok := aggColumns[field]
	if !ok {
		return nil, fmt.Errorf("cannot group by %q", field)
	}
	if size <= 0 {
		size = 10
	}
	var query string
	var args []any
	if from, cargs, ok := s.counted(q); ok {
		query = "SELECT " + col + ", sum(n) AS c FROM " + from + " WHERE " + col + " != ''" +
			" GROUP BY " + col + " HAVING c > 0 ORDER BY c DESC, " + col + " LIMIT ?"
		args = cargs
	} else {
		where, wargs := s.where(q)
		where = append(where, col+" != ''")
		query = "SELECT " + col + ", count(*) AS c FROM alerts" + whereSQL(where) +
			" GROUP BY " + col + " ORDER BY c DESC, " + col + " LIMIT ?"
		args = wargs
	}
	rows, err := s.ro.QueryContext(ctx, query, append(args, size)...)
	if err != nil {
		return nil, classify(s.cfg.Path, err)
	}
	defer rows.Close()
	var out []domain.Bucket
	for rows.Next() {
		var b domain.Bucket
		if err := rows.Scan(&b.Key, &b.Count); err != nil {
			return nil, classify(s.cfg.Path, err)
		}
		out = append(out, b)
	}
	return out, classify0(s.cfg.Path, rows.Err())
}

// Histogram counts matching alerts per interval since the epoch; only non-empty buckets.
func (s *Store) Histogram(ctx context.Context, q domain.AlertQuery, interval time.Duration) ([]domain.TimeBucket, error) {
	if s.disabled != nil {
		return nil, s.disabled
	}
	if interval <= 0 {
		return nil, fmt.Errorf("histogram interval must be positive, got %s", interval)
	}
	iv := interval.Nanoseconds()
	// ts is positive (after 1970), so ts - ts % iv is the start of its epoch-aligned bucket; an
	// hour of the counts falls in one bucket when iv is a whole number of hours
	var query string
	var args []any
	if from, cargs, ok := s.counted(q); ok && iv%countsHour == 0 {
		query = "SELECT t - (t % ?) AS b, sum(n) AS c FROM " + from + " GROUP BY b HAVING c > 0 ORDER BY b"
		args = cargs
	} else {
		where, wargs := s.where(q)
		query = "SELECT ts - (ts % ?) AS b, count(*) FROM alerts" + whereSQL(where) + " GROUP BY b ORDER BY b"
		args = wargs
	}
	rows, err := s.ro.QueryContext(ctx, query, append([]any{iv}, args...)...)
	if err != nil {
		return nil, classify(s.cfg.Path, err)
	}
	defer rows.Close()
	var out []domain.TimeBucket
	for rows.Next() {
		var start, n int64
		if err := rows.Scan(&start, &n); err != nil {
			return nil, classify(s.cfg.Path, err)
		}
		out = append(out, domain.TimeBucket{Start: time.Unix(0, start).UTC(), Count: n})
	}
	return out, classify0(s.cfg.Path, rows.Err())
}

func classify0(path string, err error) error {
	if err == nil {
		return nil
	}
	return classify(path, err)
}

func whereSQL(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// where translates the query's filters into SQL conditions and their arguments.
func (s *Store) where(q domain.AlertQuery) ([]string, []any) {
	var conds []string
	var args []any
	if !q.Since.IsZero() {
		conds = append(conds, "ts >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		conds = append(conds, "ts < ?")
		args = append(args, q.Until.UnixNano())
	}
	f, fargs := s.filters(q)
	conds, args = append(conds, f...), append(args, fargs...)
	if words := textWords(q.Text); len(words) > 0 {
		if s.TextSearch() == textLike {
			for _, w := range words {
				pat := "%" + likeEscape(strings.TrimSuffix(w, "*")) + "%"
				var or []string
				for _, col := range strings.Split(ftsColumns, ", ") {
					or = append(or, col+` LIKE ? ESCAPE '\'`)
					args = append(args, pat)
				}
				conds = append(conds, "("+strings.Join(or, " OR ")+")")
			}
		} else {
			conds = append(conds, "id IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)")
			args = append(args, s.ftsQuery(words))
		}
	}
	return conds, args
}

// filters translates the query's field filters (not time, not text) into SQL conditions on columns
// that both alerts and alert_counts have.
func (s *Store) filters(q domain.AlertQuery) ([]string, []any) {
	var conds []string
	var args []any
	if q.MinSeverity > 0 {
		conds = append(conds, "severity >= ?")
		args = append(args, q.MinSeverity)
	}
	if len(q.Rules) > 0 {
		in := placeholders(len(q.Rules))
		conds = append(conds, "rule_id IN (SELECT rule_id FROM rules WHERE rule_id IN "+in+
			" OR rule_name IN "+in+" OR event_name IN "+in+")")
		for range 3 {
			args = appendStrings(args, q.Rules)
		}
	}
	if len(q.Hosts) > 0 {
		conds = append(conds, "host IN "+placeholders(len(q.Hosts)))
		args = appendStrings(args, q.Hosts)
	}
	if len(q.Containers) > 0 {
		var or []string
		for _, c := range q.Containers {
			or = append(or, "container_id GLOB ? OR container = ?")
			args = append(args, globEscape(c)+"*", c)
		}
		conds = append(conds, "container_id IN (SELECT container_id FROM containers WHERE "+strings.Join(or, " OR ")+")")
	}
	if len(q.Images) > 0 || len(q.Pods) > 0 {
		c, a := s.identityFilter(q)
		conds, args = append(conds, c), append(args, a...)
	}
	if len(q.Processes) > 0 {
		conds = append(conds, "process IN "+placeholders(len(q.Processes)))
		args = appendStrings(args, q.Processes)
	}
	if len(q.Techniques) > 0 {
		in := placeholders(len(q.Techniques))
		conds = append(conds, "technique_id IN (SELECT technique_id FROM rules WHERE technique_id != '' AND (technique_id IN "+
			in+" OR technique IN "+in+"))")
		args = appendStrings(appendStrings(args, q.Techniques), q.Techniques)
	}
	return conds, args
}

// textWords splits free text into words that contain at least one letter or digit.
func textWords(text string) []string {
	var out []string
	for _, w := range strings.Fields(text) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			out = append(out, w)
		}
	}
	return out
}

// ftsQuery quotes every word (so that FTS operators in user text are plain words) and keeps a
// trailing * as a prefix search; the words are ANDed. FTS4 wants the * inside the quotes, FTS5
// after them.
func (s *Store) ftsQuery(words []string) string {
	parts := make([]string, 0, len(words))
	for _, w := range words {
		prefix := strings.HasSuffix(w, "*")
		w = strings.ReplaceAll(strings.TrimRight(w, "*"), `"`, " ")
		switch {
		case !prefix:
			parts = append(parts, `"`+w+`"`)
		case s.text == textFTS5:
			parts = append(parts, `"`+w+`"*`)
		default:
			parts = append(parts, `"`+w+`*"`)
		}
	}
	return strings.Join(parts, " ")
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

func appendStrings(args []any, ss []string) []any {
	for _, s := range ss {
		args = append(args, s)
	}
	return args
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[':
			b.WriteString("[" + string(r) + "]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// identityColumns are the image and pod of an alert's container, from container_identity.
const identityColumns = "coalesce(ci.image, ''), coalesce(ci.pod, ''), coalesce(ci.pod_namespace, '')"

// identityJoin joins container_identity as ci; a file from an older agent without it gets empty values.
func (s *Store) identityJoin() string {
	if !s.identity {
		return "LEFT JOIN (SELECT NULL AS container_id, NULL AS image, NULL AS pod, NULL AS pod_namespace) ci ON 0 "
	}
	return "LEFT JOIN container_identity ci ON ci.container_id = a.container_id "
}

// identityFilter selects the containers whose image and pod match --image and --pod.
func (s *Store) identityFilter(q domain.AlertQuery) (string, []any) {
	if !s.identity {
		return "0", nil // an older file knows no images or pods
	}
	var conds []string
	var args []any
	if len(q.Images) > 0 {
		var or []string
		for _, img := range q.Images {
			name, tag := domain.SplitImage(img)
			if tag == "" {
				or = append(or, "image_name = ?")
				args = append(args, name)
			} else {
				or = append(or, "(image_name = ? AND image_tag = ?)")
				args = append(args, name, tag)
			}
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if len(q.Pods) > 0 {
		var or []string
		for _, p := range q.Pods {
			ns, name := domain.SplitPod(p)
			if ns == "" {
				or = append(or, "pod = ?")
				args = append(args, name)
			} else {
				or = append(or, "(pod_namespace = ? AND pod = ?)")
				args = append(args, ns, name)
			}
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	return "container_id IN (SELECT container_id FROM container_identity WHERE " + strings.Join(conds, " AND ") + ")", args
}
