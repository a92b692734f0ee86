// Package app orchestrates the core use cases over the ports: running the agent (source -> engine ->
// finding policy -> outputs) and listing events.
package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// OutputConfig bounds each output's queue.
type OutputConfig struct {
	// QueueSize is the number of events buffered per output (default 65536).
	QueueSize int
	// AlertWait is how long a signature event may wait for room in a full queue before it is
	// dropped and counted (default 2s). Base events are dropped at once when the queue is full.
	AlertWait time.Duration
}

// NamedSink is an output with a name for logs and stats.
type NamedSink struct {
	Name string
	Sink ports.EventSink
	// Spool, when set, reads the sink's retry and spool counters (for the stats).
	Spool func() ports.SpoolStats
	// Durable sinks are written on the engine's goroutine, before it moves on, instead of through
	// a memory queue: for a sink whose Write only makes the event durable (the Elasticsearch spool),
	// so that a kill -9 cannot lose an alert the engine has handed over.
	Durable bool
	// AlertsOnly sinks get signature events only (the embedded alert store): other events are not
	// queued for them.
	AlertsOnly bool
}

// Outputs fans events out to every sink through a bounded queue each, so a slow output never stalls
// the engine without bound. Drops are counted per output and reported. An output whose sink fails
// (broken pipe, full disk, a sink that errors) is closed alone, with one log line; the others go on.
type Outputs struct {
	cfg    OutputConfig
	log    *slog.Logger
	queues []*outputQueue
	ctx    context.Context //nolint:containedctx // bounds durable sinks' writes, as the drains' ctx does
	wg     sync.WaitGroup
	once   sync.Once
}

type outputQueue struct {
	NamedSink
	ch      chan *trace.Event
	written atomic.Uint64
	dropped atomic.Uint64
	failed  atomic.Uint64
	closed  atomic.Bool // the sink failed: it was closed and receives nothing more
	mu      sync.Mutex  // serialises writes to a Durable sink (no queue, no drain goroutine)
}

// OutputStats are one output's counters.
type OutputStats = ports.OutputStats

// NewOutputs starts one writer goroutine per sink; ctx bounds the writers' I/O.
func NewOutputs(ctx context.Context, cfg OutputConfig, sinks []NamedSink, log *slog.Logger) *Outputs {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 65536
	}
	if cfg.AlertWait <= 0 {
		cfg.AlertWait = 2 * time.Second
	}
	o := &Outputs{cfg: cfg, log: log.With("component", "outputs")}
	for _, s := range sinks {
		q := &outputQueue{NamedSink: s}
		o.queues = append(o.queues, q)
		if s.Durable {
			continue
		}
		q.ch = make(chan *trace.Event, cfg.QueueSize)
		o.wg.Add(1)
		go o.drain(context.WithoutCancel(ctx), q)
	}
	// durable sinks first: an event reaches the other outputs only once it is durable
	slices.SortStableFunc(o.queues, func(a, b *outputQueue) int {
		switch {
		case a.Durable == b.Durable:
			return 0
		case a.Durable:
			return -1
		}
		return 1
	})
	o.ctx = context.WithoutCancel(ctx)
	return o
}

// writeDurable writes ev to a Durable sink on the caller's goroutine.
func (o *Outputs) writeDurable(q *outputQueue, ev *trace.Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed.Load() {
		q.failed.Add(1)
		return
	}
	if err := q.Sink.Write(o.ctx, ev); err != nil {
		q.failed.Add(1)
		if errors.Is(err, domain.ErrEventRejected) {
			if n := q.failed.Load(); n == 1 || n%10000 == 0 {
				o.log.Error("output rejected events", "output", q.Name, "rejected", n, "error", err)
			}
			return
		}
		o.fail(o.ctx, q, err)
		return
	}
	q.written.Add(1)
}

func (o *Outputs) drain(ctx context.Context, q *outputQueue) {
	defer o.wg.Done()
	for ev := range q.ch {
		if q.closed.Load() {
			q.failed.Add(1)
			continue
		}
		if err := q.Sink.Write(ctx, ev); err != nil {
			q.failed.Add(1)
			if errors.Is(err, domain.ErrEventRejected) {
				if n := q.failed.Load(); n == 1 || n%10000 == 0 {
					o.log.Error("output rejected events", "output", q.Name, "rejected", n, "error", err)
				}
				continue
			}
			o.fail(ctx, q, err)
			continue
		}
		q.written.Add(1)
		if len(q.ch) == 0 {
			if err := q.Sink.Flush(ctx); err != nil {
				o.fail(ctx, q, err)
			}
		}
	}
}

// fail closes a broken output: one log line, then every event for it is counted as failed.
func (o *Outputs) fail(ctx context.Context, q *outputQueue, err error) {
	q.closed.Store(true)
	o.log.Error("output failed and is closed; the other outputs go on", "output", q.Name, "error", err)
	// Close releases the output (a spooling sink keeps what it holds); its error repeats the first.
	_ = q.Sink.Close(ctx)
}

// Write queues ev for every output and says whether one kept it (queued it, or a durable output
// took it): then ev must not be modified or reused afterwards.
func (o *Outputs) Write(ev *trace.Event) (kept bool) {
	if len(o.queues) == 0 {
		return false
	}
	alert := domain.IsSignatureEvent(ev)
	for _, q := range o.queues {
		if q.AlertsOnly && !alert {
			continue
		}
		if q.closed.Load() {
			q.failed.Add(1)
			continue
		}
		if q.Durable {
			o.writeDurable(q, ev)
			kept = true // the sink may hold ev in its batch
			continue
		}
		select {
		case q.ch <- ev:
			kept = true
			continue
		default:
		}
		if alert {
			timer := time.NewTimer(o.cfg.AlertWait)
			select {
			case q.ch <- ev:
				timer.Stop()
				kept = true
				continue
			case <-timer.C:
			}
		}
		if n := q.dropped.Add(1); n == 1 || n%10000 == 0 {
			o.log.Warn("output queue full; events dropped", "output", q.Name, "dropped", n, "alert", alert)
		}
	}
	return kept
}

// Stats returns each output's counters.
func (o *Outputs) Stats() []OutputStats {
	out := make([]OutputStats, 0, len(o.queues))
	for _, q := range o.queues {
		st := OutputStats{Name: q.Name, Written: q.written.Load(), Dropped: q.dropped.Load(), Failed: q.failed.Load(),
			QueueDepth: len(q.ch), QueueSize: cap(q.ch), Closed: q.closed.Load()}
		if q.Spool != nil {
			sp := q.Spool()
			st.Spool = &sp
		}
		out = append(out, st)
	}
	return out
}

// Close drains every queue, then closes each sink (which flushes or spools what it holds).
func (o *Outputs) Close(ctx context.Context) error {
	var firstErr error
	o.once.Do(func() {
		for _, q := range o.queues {
			if q.ch != nil {
				close(q.ch)
			}
		}
		o.wg.Wait()
		for _, q := range o.queues {
			q.mu.Lock()
			closed := q.closed.Load()
			q.mu.Unlock()
			if closed {
				o.log.Warn("output was closed after a failure", "output", q.Name, "failed", q.failed.Load())
				continue
			}
			if err := q.Sink.Close(ctx); err != nil && firstErr == nil {
				firstErr = err
			}
			if d := q.dropped.Load(); d > 0 {
				o.log.Warn("output dropped events", "output", q.Name, "dropped", d)
			}
		}
	})
	return firstErr
}
