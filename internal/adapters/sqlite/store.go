// Package sqlite is the embedded alert store: signature events recorded in one SQLite file (WAL,
// full-text index, size bound and retention by age) and searched with the same queries as
// Elasticsearch.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/hostident"
)

// DefaultPath is where the agent records alerts when no path is configured.
const DefaultPath = "/var/lib/tracee/alerts.db"

// Config of the store. Zero values take the defaults.
type Config struct {
	Path      string        // default DefaultPath
	MaxBytes  int64         // size bound of the database; oldest alerts go first (default 1 GiB)
	MaxAge    time.Duration // alerts older than this are deleted (default 30 days)
	BatchSize int           // alerts per insert transaction (default 1000)
	// QueueBatches is how many full batches may wait for the writer before Write waits (default 8).
	QueueBatches int
	// RetentionEvery is how often retention runs while the store is open (default 1 minute).
	RetentionEvery time.Duration
	// Text forces the text search method: "fts5", "fts4" or "like"; default: the best available.
	Text string
	// HostName is the host every alert is recorded under; default the real host
	// (hostident.HostName), never the triggering task's forgeable nodename, which stays in the event.
	HostName string
	// EventHost records each event's own hostName instead (generated alerts in tests).
	EventHost bool
}

func (c *Config) defaults() {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 1 << 30
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 30 * 24 * time.Hour
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.QueueBatches <= 0 {
		c.QueueBatches = 8
	}
	if c.RetentionEvery <= 0 {
		c.RetentionEvery = time.Minute
	}
}

// text search methods
const (
	textFTS5 = "fts5"
	textFTS4 = "fts4"
	textLike = "like"
)

const schema = `
CREATE TABLE IF NOT EXISTS alerts (
	id           INTEGER PRIMARY KEY,
	ts           INTEGER NOT NULL, -- Unix nanoseconds
	rule_id      TEXT NOT NULL,
	rule_name    TEXT NOT NULL,
	event_name   TEXT NOT NULL,
	severity     INTEGER NOT NULL,
	technique_id TEXT NOT NULL,
	technique    TEXT NOT NULL,
	host         TEXT NOT NULL,
	container_id TEXT NOT NULL,
	container    TEXT NOT NULL,
	process      TEXT NOT NULL,
	pid          INTEGER NOT NULL,
	message      TEXT NOT NULL,
	description  TEXT NOT NULL
);
-- the full events live apart, so that scans and lookups of the searchable columns stay small
CREATE TABLE IF NOT EXISTS alert_events (
	id    INTEGER PRIMARY KEY,
	event BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS alerts_event_ad AFTER DELETE ON alerts BEGIN
	DELETE FROM alert_events WHERE id = old.id;
END;
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id, ts);
CREATE INDEX IF NOT EXISTS alerts_host ON alerts(host, ts);
CREATE INDEX IF NOT EXISTS alerts_container ON alerts(container_id, ts);
CREATE INDEX IF NOT EXISTS alerts_process ON alerts(process, ts);
CREATE INDEX IF NOT EXISTS alerts_technique ON alerts(technique_id, ts);
CREATE INDEX IF NOT EXISTS alerts_severity ON alerts(severity, ts);
-- the few distinct rules and containers, so that a filter by name resolves to IDs without a scan
CREATE TABLE IF NOT EXISTS rules (
	rule_id TEXT NOT NULL, rule_name TEXT NOT NULL, event_name TEXT NOT NULL,
	technique_id TEXT NOT NULL, technique TEXT NOT NULL,
	UNIQUE (rule_id, rule_name, event_name, technique_id, technique)
);
CREATE TABLE IF NOT EXISTS containers (
	container_id TEXT NOT NULL, container TEXT NOT NULL,
	UNIQUE (container_id, container)
);
-- what --enrichment container learnt of each container (identity never changes), for --image and --pod
CREATE TABLE IF NOT EXISTS container_identity (
	container_id TEXT PRIMARY KEY, image TEXT NOT NULL, image_name TEXT NOT NULL, image_tag TEXT NOT NULL,
	pod TEXT NOT NULL, pod_namespace TEXT NOT NULL
);
`

// the full-text index over the searchable text; kept in step with alerts by triggers
const ftsColumns = "message, description, rule_id, rule_name, event_name, technique_id, technique, host, container_id, container, process"

func ftsSchema(method string) string {
	news := "new." + strings.ReplaceAll(ftsColumns, ", ", ", new.")
	olds := "old." + strings.ReplaceAll(ftsColumns, ", ", ", old.")
	switch method {
	case textFTS5:
		return `CREATE VIRTUAL TABLE IF NOT EXISTS alerts_fts USING fts5(` + ftsColumns + `, content='alerts', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS alerts_fts_ai AFTER INSERT ON alerts BEGIN
	INSERT INTO alerts_fts(rowid, ` + ftsColumns + `) VALUES (new.id, ` + news + `);
END;
CREATE TRIGGER IF NOT EXISTS alerts_fts_ad AFTER DELETE ON alerts BEGIN
	INSERT INTO alerts_fts(alerts_fts, rowid, ` + ftsColumns + `) VALUES ('delete', old.id, ` + olds + `);
END;`
	case textFTS4:
		return `CREATE VIRTUAL TABLE IF NOT EXISTS alerts_fts USING fts4(content='alerts', ` + ftsColumns + `, tokenize=unicode61);
CREATE TRIGGER IF NOT EXISTS alerts_fts_ai AFTER INSERT ON alerts BEGIN
	INSERT INTO alerts_fts(docid, ` + ftsColumns + `) VALUES (new.id, ` + news + `);
END;
CREATE TRIGGER IF NOT EXISTS alerts_fts_bd BEFORE DELETE ON alerts BEGIN
	DELETE FROM alerts_fts WHERE docid = old.id;
END;`
	}
	return ""
}

// Store is the embedded alert store: an EventSink for signature events and an AlertSearcher.
type Store struct {
	cfg  Config
	log  *slog.Logger
	db   *sql.DB // one connection: the writer
	ro   *sql.DB // readers
	text string  // fts5, fts4 or like
	// counts: the store has hourly counts (a file from an older agent, opened read-only, may not)
	counts bool
	// identity: the store has the container_identity table (same)
	identity bool
	sink     *writer
	healed   atomic.Uint64 // corrupt databases moved aside
	// disabled, when set, is why the store could not open: Write returns it and records nothing.
	disabled error
	once     sync.Once
	err      error
}

// Open creates (if needed) and opens the store at cfg.Path for recording and searching, and starts
// its writer. Close stops it.
func Open(cfg Config, log *slog.Logger) (*Store, error) {
	cfg.defaults()
	if cfg.HostName == "" && !cfg.EventHost {
		cfg.HostName = hostident.HostName()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "sqlite", "path", cfg.Path)
	if err := os.MkdirAll(filepath.Dir(cfg.Path), dirMode); err != nil {
		return nil, fmt.Errorf("alert store: %w", err)
	}
	s := &Store{cfg: cfg, log: log}
	err := s.openWriter(context.Background())
	if err != nil && isCorrupt(err) {
		aside, merr := moveAside(cfg.Path)
		if merr != nil {
			return nil, fmt.Errorf("alert store %s is corrupt (%v) and cannot be moved aside: %w", cfg.Path, err, merr)
		}
		log.Error("alert store is corrupt: moved aside, a new store started", "moved_to", aside, "error", err)
		s.healed.Add(1)
		err = s.openWriter(context.Background())
	}
	if err != nil {
		return nil, classify(cfg.Path, err)
	}
	if s.ro, err = sql.Open(driverName(), dsn(cfg.Path, true)); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("alert store %s: %w", cfg.Path, err)
	}
	s.counts, s.identity = true, true
	s.sink = startWriter(s)
	log.Debug("alert store open", "text", s.text)
	return s, nil
}

// Disabled returns a store that records nothing: every Write returns why (err), so the agent's
// outputs close it with one log line and count what it missed, while the agent runs on.
func Disabled(cfg Config, err error) *Store {
	cfg.defaults()
	return &Store{cfg: cfg, log: slog.New(slog.DiscardHandler),
		disabled: fmt.Errorf("alert store disabled, alerts are not recorded: %w", err)}
}

// OpenReadOnly opens an existing store for searching only (the command line, while the agent
// records). A missing file is domain.ErrNoAlerts.
func OpenReadOnly(path string) (*Store, error) {
	if path == "" {
		path = DefaultPath
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: no alert store at %s (the agent creates it when it records its first alert)", domain.ErrNoAlerts, path)
		}
		return nil, fmt.Errorf("alert store %s: %w", path, err)
	}
	ro, err := sql.Open(driverName(), dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("alert store %s: %w", path, err)
	}
	s := &Store{cfg: Config{Path: path}, log: slog.New(slog.DiscardHandler), ro: ro}
	if err := s.detectText(context.Background(), ro); err != nil {
		ro.Close()
		return nil, err
	}
	var n int
	if err := ro.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'alert_counts'").Scan(&n); err != nil {
		ro.Close()
		return nil, classify(path, err)
	}
	s.counts = n > 0
	if err := ro.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'container_identity'").Scan(&n); err != nil {
		ro.Close()
		return nil, classify(path, err)
	}
	s.identity = n > 0
	return s, nil
}

var registerDriver sync.Once

// driverName registers, once, the driver with the connection settings every connection needs:
// reads through mmap and a larger page cache, which halve the cost of scans over many alerts.
func driverName() string {
	const name = "sqlite3_tracee_alerts"
	registerDriver.Do(func() {
		sql.Register(name, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536", nil)
			return err
		}})
	})
	return name
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
		q.Set("_auto_vacuum", "incremental") // must precede the first table: freed pages can be returned
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func (s *Store) migrate(ctx context.Context) error {
	var hasCounts int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'alert_counts'").Scan(&hasCounts); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, countsSchema); err != nil {
		return err
	}
	if hasCounts == 0 { // a store from before the hourly counts existed
		if _, err := s.db.ExecContext(ctx, countsBackfill); err != nil {
			return err
		}
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA journal_size_limit = 67108864"); err != nil {
		return err
	}
	if err := s.detectText(ctx, s.db); err != nil {
		return err
	}
	if s.text != "" {
		return nil
	}
	methods := []string{textFTS5, textFTS4}
	if s.cfg.Text != "" {
		methods = []string{s.cfg.Text}
	}
	for _, m := range methods {
		if m == textLike {
			break
		}
		if _, err := s.db.ExecContext(ctx, ftsSchema(m)); err != nil {
			if strings.Contains(err.Error(), "no such module") {
				continue // this build of SQLite lacks it
			}
			return fmt.Errorf("create %s index: %w", m, err)
		}
		s.text = m
		// alerts recorded before the index existed (a store created by a build without FTS)
		if _, err := s.db.ExecContext(ctx, "INSERT INTO alerts_fts(alerts_fts) VALUES ('rebuild')"); err != nil {
			return fmt.Errorf("build %s index: %w", m, err)
		}
		return nil
	}
	s.text = textLike
	return nil
}

// detectText finds the text index a store already has.
func (s *Store) detectText(ctx context.Context, db *sql.DB) error {
	var ddl string
	err := db.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE name = 'alerts_fts'").Scan(&ddl)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return classify(s.cfg.Path, err)
	}
	ddl = strings.ToLower(ddl)
	switch {
	case strings.Contains(ddl, "fts5"):
		s.text = textFTS5
	case strings.Contains(ddl, "fts4"):
		s.text = textFTS4
	}
	return nil
}

// TextSearch reports how free text is matched: fts5, fts4 or like.
func (s *Store) TextSearch() string {
	if s.text == "" {
		return textLike
	}
	return s.text
}

// Close stops the writer (writing what it holds) and closes the database; later calls return
// the first call's result.
func (s *Store) Close(ctx context.Context) error {
	s.once.Do(func() {
		var errs []error
		if s.sink != nil {
			errs = append(errs, s.sink.close(ctx))
		}
		if s.ro != nil {
			errs = append(errs, s.ro.Close())
		}
		if s.db != nil {
			errs = append(errs, s.db.Close())
		}
		s.err = errors.Join(errs...)
	})
	return s.err
}

// classify turns driver errors into the domain's one-line errors.
func classify(path string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrCantOpen:
			return fmt.Errorf("%w: cannot open alert store %s", domain.ErrStoreUnreachable, path)
		case sqlite3.ErrAuth:
			return fmt.Errorf("%w: alert store %s: %v", domain.ErrStoreUnauthorized, path, err)
		case sqlite3.ErrPerm, sqlite3.ErrReadonly:
			return fmt.Errorf("alert store %s cannot be written (%v): check the file's and its directory's owner, "+
				"mode and file system, or choose another file with --alerts-db", path, err)
		case sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
			return fmt.Errorf("alert store %s is not a readable SQLite database: %w", path, err)
		}
	}
	if strings.Contains(err.Error(), "no such table") {
		return fmt.Errorf("%w: %s holds no alert table", domain.ErrNoAlerts, path)
	}
	return fmt.Errorf("alert store %s: %w", path, err)
}
