package sqlite

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/lograte"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// row is one alert ready to insert.
type row struct {
	a     domain.Alert
	event []byte
}

// writer owns the write connection: it inserts batches in one transaction each and runs retention.
type writer struct {
	s       *Store
	mu      sync.Mutex
	pending []row
	batches chan []row
	flushed chan chan struct{}
	done    chan struct{}
	stop    context.CancelFunc
	closed  atomic.Bool

	written atomic.Uint64
	failed  atomic.Uint64
	deleted atomic.Uint64
	// names already in the rules / containers tables
	rules      map[[5]string]bool
	containers map[[2]string]bool
	identities map[string]bool  // container IDs already in container_identity
	failLog    *lograte.Limiter // a failing disk fails every batch: one line per interval
}

func startWriter(s *Store) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{
		s: s, batches: make(chan []row, s.cfg.QueueBatches), flushed: make(chan chan struct{}),
		done: make(chan struct{}), stop: cancel,
		rules: map[[5]string]bool{}, containers: map[[2]string]bool{}, identities: map[string]bool{},
		failLog: lograte.New(s.log, slog.LevelError, 0),
	}
	go w.loop(ctx)
	return w
}

// Write records a signature event; other events are ignored. It only queues: the insert happens on
// the store's writer, in a batch. It never modifies ev.
func (s *Store) Write(_ context.Context, ev *trace.Event) error {
	if !domain.IsSignatureEvent(ev) {
		return nil
	}
	if s.disabled != nil {
		return s.disabled
	}
	if s.sink == nil || s.sink.closed.Load() {
		return errors.New("alert store is closed")
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("%w: encode alert: %v", domain.ErrEventRejected, err)
	}
	w := s.sink
	w.mu.Lock()
	a := domain.AlertFromEvent(ev)
	if !s.cfg.EventHost {
		a.Host = s.cfg.HostName // the real host; the task's nodename stays in the event
	}
	w.pending = append(w.pending, row{a: a, event: b})
	var full []row
	if len(w.pending) >= s.cfg.BatchSize {
		full, w.pending = w.pending, nil
	}
	w.mu.Unlock()
	if full != nil {
		w.batches <- full // waits only when QueueBatches batches are already waiting
	}
	return nil
}

// Flush hands what Write queued to the writer and waits until it is committed.
func (s *Store) Flush(ctx context.Context) error {
	w := s.sink
	if w == nil || w.closed.Load() {
		return nil
	}
	if batch := w.take(); batch != nil {
		select {
		case w.batches <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ack := make(chan struct{})
	select {
	case w.flushed <- ack:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats are the writer's counters. Healed counts corrupt databases moved aside.
type Stats struct {
	Written, Failed, Deleted, Healed uint64
}

// Stats returns how many alerts were written, failed to be written and deleted by retention, and
// how many times a corrupt database was replaced.
func (s *Store) Stats() Stats {
	if s.sink == nil {
		return Stats{Healed: s.healed.Load()}
	}
	return Stats{Written: s.sink.written.Load(), Failed: s.sink.failed.Load(), Deleted: s.sink.deleted.Load(),
		Healed: s.healed.Load()}
}

// take returns what Write queued and not yet handed to the writer.
func (w *writer) take() []row {
	w.mu.Lock()
	defer w.mu.Unlock()
	batch := w.pending
	w.pending = nil
	return batch
}

func (w *writer) close(ctx context.Context) error {
	if w.closed.Swap(true) {
		return nil
	}
	if batch := w.take(); batch != nil {
		w.batches <- batch
	}
	close(w.batches)
	select {
	case <-w.done:
	case <-ctx.Done():
		w.stop()
		<-w.done
	}
	if n := w.failed.Load(); n > 0 {
		return fmt.Errorf("alert store: %d alerts could not be written", n)
	}
	return nil
}

func (w *writer) loop(ctx context.Context) {
	defer close(w.done)
	w.retain(ctx, time.Now())
	tick := time.NewTicker(w.s.cfg.RetentionEvery)
	defer tick.Stop()
	for {
		select {
		case batch, ok := <-w.batches:
			if !ok {
				return
			}
			w.insert(ctx, batch)
		case ack := <-w.flushed:
			// batches queued before the flush request are ahead of it in the channel
			for drained := false; !drained; {
				select {
				case batch, ok := <-w.batches:
					if !ok {
						close(ack)
						return
					}
					w.insert(ctx, batch)
				default:
					drained = true
				}
			}
			close(ack)
		case now := <-tick.C:
			w.retain(ctx, now)
		}
	}
}

const insertSQL = `INSERT INTO alerts (ts, rule_id, rule_name, event_name, severity, technique_id, technique,
	host, container_id, container, process, pid, message, description)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const insertEventSQL = `INSERT INTO alert_events (id, event) VALUES (?, ?)`

func (w *writer) insert(ctx context.Context, batch []row) {
	err := w.insertTx(ctx, batch)
	if err != nil && isCorrupt(err) {
		clear(w.rules)
		clear(w.containers)
		clear(w.identities)
		if herr := w.s.heal(ctx, err); herr != nil {
			err = fmt.Errorf("%w (and %v)", err, herr)
		} else {
			err = w.insertTx(ctx, batch) // into the new store
		}
	}
	if err != nil {
		// the caches may name rows that were rolled back
		clear(w.rules)
		clear(w.containers)
		clear(w.identities)
		total := w.failed.Add(uint64(len(batch)))
		w.failLog.Log(ctx, "alerts not recorded", "count", len(batch), "failed_total", total, "error", err)
		return
	}
	w.written.Add(uint64(len(batch)))
}

func (w *writer) insertTx(ctx context.Context, batch []row) error {
	if w.s.db == nil {
		return errors.New("no alert store open")
	}
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	stmt, err := tx.PrepareContext(ctx, insertSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	evStmt, err := tx.PrepareContext(ctx, insertEventSQL)
	if err != nil {
		return err
	}
	defer evStmt.Close()
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return err
	}
	for _, r := range batch {
		a := r.a
		blob, err := encodeEvent(r.event, zw, &buf)
		if err != nil {
			return err
		}
		res, err := stmt.ExecContext(ctx, a.Time.UnixNano(), a.RuleID, a.RuleName, a.EventName, a.Severity,
			a.TechniqueID, a.Technique, a.Host, a.ContainerID, a.Container, a.Process, a.PID, a.Message,
			a.Description)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := evStmt.ExecContext(ctx, id, blob); err != nil {
			return err
		}
		rk := [5]string{a.RuleID, a.RuleName, a.EventName, a.TechniqueID, a.Technique}
		if !w.rules[rk] {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO rules VALUES (?, ?, ?, ?, ?)", rk[0], rk[1], rk[2], rk[3], rk[4]); err != nil {
				return err
			}
			w.rules[rk] = true
		}
		ck := [2]string{a.ContainerID, a.Container}
		if ck[0] != "" && !w.containers[ck] {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO containers VALUES (?, ?)", ck[0], ck[1]); err != nil {
				return err
			}
			w.containers[ck] = true
		}
		if a.ContainerID != "" && (a.Image != "" || a.Pod != "") && !w.identities[a.ContainerID] {
			name, tag := domain.SplitImage(a.Image)
			if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO container_identity VALUES (?, ?, ?, ?, ?, ?)",
				a.ContainerID, a.Image, name, tag, a.Pod, a.PodNamespace); err != nil {
				return err
			}
			w.identities[a.ContainerID] = true
		}
	}
	return tx.Commit()
}
