package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/lograte"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ErrAuth means Elasticsearch refused the credentials (HTTP 401) or their rights (HTTP 403).
var ErrAuth = errors.New("elasticsearch refused the credentials")

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("elasticsearch sink is closed")

// Stats counts what the sink did since it was created.
type Stats struct {
	Written      uint64 // alerts handed to Write (and accepted for this sink)
	Indexed      uint64 // confirmed by Elasticsearch
	Spooled      uint64 // written to the disk spool (overflow, outage, retry)
	Retried      uint64 // bulk items that failed retriably (429, 5xx, connection) and were kept
	Repaired     uint64 // documents re-sent with a rejected value moved to tracee.rejected
	DeadLettered uint64 // documents Elasticsearch refused even stripped (kept in rejected.ndjson)
	Evicted      uint64 // alerts deleted from the spool for its disk budget: LOST
	Queued       int    // alerts in the memory queue now
	SpoolBytes   int64  // size of the spool now
	Down         bool   // Elasticsearch is unavailable and alerts are being spooled
}

// Sink writes events to Elasticsearch in bulk requests. Write only encodes, spools and enqueues:
// a background loop feeds the bulk shipper, and everything it cannot deliver goes to the spool.
type Sink struct {
	cfg    Config
	log    *slog.Logger
	client *elasticsearch.Client
	enc    *docEncoder
	ship   *bulkShipper
	queue  chan *spoolItem
	spool  *spool

	down          atomic.Bool
	failures      atomic.Int64 // consecutive retriable failures, drives the backoff
	templateReady atomic.Bool
	authFailed    atomic.Bool
	added         atomic.Uint64 // items handed to the bulk shipper since the last Flush

	written, indexed, spooled, retried, repaired, dead atomic.Uint64

	deadMu    sync.Mutex
	startOnce sync.Once
	runOnce   sync.Once
	closeOnce sync.Once
	closed    atomic.Bool
	closing   chan struct{}
	flushReq  chan struct{}
	done      chan struct{}
	closeCtx  context.Context //nolint:containedctx // handed from Close to the loop once, for its deadline
	closeErr  error
}

// New builds the sink: it opens (and creates) the spool directory but does no network I/O.
// Call Start to check the cluster and start shipping, and Close to flush or spool everything.
func New(cfg Config, log *slog.Logger) (*Sink, error) {
	cfg = cfg.withDefaults()
	if cfg.Identity == (Identity{}) {
		cfg.Identity = DetectIdentity()
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "elasticsearch")
	for _, f := range cfg.SecretFiles {
		if w := secretFileWarning(f); w != "" {
			log.Warn(w)
		}
	}
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	sp, err := openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes)
	if err != nil {
		return nil, err
	}
	sp.noSync = cfg.SpoolSync == SpoolSyncNone
	s := &Sink{cfg: cfg, log: log, client: client, spool: sp, enc: newDocEncoder(cfg.Identity, cfg.IndexPrefix),
		queue: make(chan *spoolItem, cfg.QueueSize), closing: make(chan struct{}), done: make(chan struct{}),
		flushReq: make(chan struct{}, 1)}
	lost := lograte.New(log, slog.LevelError, 0) // a full spool evicts on every write: one line per interval
	sp.onEvicted = func(n int, total uint64) {
		lost.Log(context.Background(), "ALERTS LOST: the Elasticsearch spool is over its disk budget; the oldest alerts were deleted",
			"deleted", n, "deleted_total", total, "budget_bytes", cfg.SpoolMaxBytes, "spool", cfg.SpoolDir)
	}
	s.ship = newBulkShipper(client, cfg.Workers, cfg.FlushBytes, cfg.Timeout, s.succeeded, s.failed, releaseBody)
	if n := sp.Bytes(); n > 0 {
		log.Info("alerts from a previous run wait in the spool", "bytes", n, "spool", cfg.SpoolDir)
	}
	go s.syncLoop()
	return s, nil
}

// syncLoop fsyncs the spool's recent appends every syncInterval (Append does it every syncEvery).
func (s *Sink) syncLoop() {
	tick := time.NewTicker(syncInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-tick.C:
		case <-s.spool.syncReq:
		}
		if err := s.spool.Sync(); err != nil {
			s.log.Error("spool fsync", "error", err)
		}
	}
}

// Start checks the cluster (health, index template) and starts the shipping loop. Refused
// credentials are an error (ErrAuth, one line); an unreachable cluster is not: alerts are
// spooled and shipped once it answers.
func (s *Sink) Start(ctx context.Context) error {
	var err error
	s.startOnce.Do(func() {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		if err = s.ensureReady(cctx); err != nil {
			if errors.Is(err, ErrAuth) {
				return
			}
			s.log.Warn("Elasticsearch is not reachable; alerts are spooled until it is",
				"address", s.addresses(), "error", err)
			s.down.Store(true)
			err = nil
		}
		s.runOnce.Do(func() { go s.run() })
		if s.cfg.RetentionDays > 0 {
			go s.retentionLoop()
		}
	})
	return err
}

// Write converts the event and enqueues it; it never waits for Elasticsearch. When the memory
// queue is full the alert goes to the disk spool.
func (s *Sink) Write(_ context.Context, ev *trace.Event) error {
	if !s.cfg.AllEvents && !domain.IsSignatureEvent(ev) {
		return nil
	}
	if s.closed.Load() {
		return ErrClosed
	}
	it := s.item(ev)
	s.written.Add(1)
	// durable before acknowledged: on disk (write(2), group fsync) before the engine moves on
	if err := s.spool.AppendLive(it); err != nil {
		return fmt.Errorf("elasticsearch: %w", err)
	}
	select {
	case s.queue <- it:
		return nil
	default:
	}
	s.spooled.Add(1)
	s.spool.Orphan(it) // the memory queue is full: it goes from the spool
	releaseBody(it)
	return nil
}

// item builds the indexable form of ev. An event whose values do not encode as JSON is still
// indexed: its ECS fields plus its text form under tracee.rejected.
func (s *Sink) item(ev *trace.Event) *spoolItem {
	bp := bodyPool.Get().(*[]byte)
	body, index, id, err := s.enc.encode((*bp)[:0], ev, time.Now())
	if err == nil {
		*bp = body
		return &spoolItem{Index: index, ID: id, Body: body, pooled: bp}
	}
	bodyPool.Put(bp)
	doc := s.cfg.Identity.Document(ev, time.Now())
	doc.Tracee.Event, doc.Tracee.Args = nil, nil
	doc.Tracee.Rejected = []Rejected{{Field: FieldTraceeEvent, Value: truncate(fmt.Sprintf("%+v", *ev)),
		Reason: "not encodable as JSON: " + err.Error()}}
	b, _ := json.Marshal(doc)
	return &spoolItem{Index: IndexName(s.cfg.IndexPrefix, doc.Timestamp), ID: doc.Event.ID, Body: b}
}

// bodyPool holds document buffers: a document is copied into the spool and into its bulk request,
// so its own buffer is reused as soon as both have it.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// releaseBody returns an item's pooled document buffer; the item keeps no body (the spool and
// the bulk request have it).
func releaseBody(it *spoolItem) {
	if it.pooled == nil {
		return
	}
	*it.pooled = it.Body[:0]
	bodyPool.Put(it.pooled)
	it.pooled, it.Body = nil, nil
}

// Flush asks the shipping loop to send what is queued now instead of waiting for a full bulk
// request or the flush interval. It does not wait for Elasticsearch, so a slow cluster can never
// hold up the caller; Close is what waits.
func (s *Sink) Flush(context.Context) error {
	if s.down.Load() {
		return nil // the alerts are in the spool, nothing to push
	}
	select {
	case s.flushReq <- struct{}{}:
	default: // a flush is already pending
	}
	return nil
}

// flushNow runs in the shipping loop: it moves what is queued to the bulk shipper and flushes it.
func (s *Sink) flushNow() {
	for n := len(s.queue); n > 0 && !s.down.Load(); n-- {
		s.add(<-s.queue)
	}
	if s.added.Swap(0) == 0 || s.down.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	if err := s.ship.flush(ctx); err != nil {
		s.log.Debug("flush", "error", err) // the items stay in the spool until confirmed
	}
}

// Close ships what it can before ctx ends and spools the rest for the next run.
func (s *Sink) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeCtx = ctx
		s.runOnce.Do(func() { go s.run() }) // never started: the loop still spools the queue
		close(s.closing)
		<-s.done
		if err := s.spool.Close(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
		st := s.Stats()
		s.log.Info("elasticsearch sink closed", "written", st.Written, "indexed", st.Indexed,
			"spooled_bytes", st.SpoolBytes, "lost", st.Evicted)
	})
	return s.closeErr
}

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{
		Written: s.written.Load(), Indexed: s.indexed.Load(), Spooled: s.spooled.Load(),
		Retried: s.retried.Load(), Repaired: s.repaired.Load(), DeadLettered: s.dead.Load(),
		Evicted: s.spool.Evicted(), Queued: len(s.queue), SpoolBytes: s.spool.Bytes(), Down: s.down.Load(),
	}
}

// run feeds the bulk shipper from the memory queue and the spool, and waits out outages.
func (s *Sink) run() {
	defer close(s.done)
	var replay []*spoolItem
	fromSpool := false
	tick := time.NewTicker(min(max(s.cfg.FlushInterval/2, 10*time.Millisecond), 500*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-s.closing: // also while replaying a long spool
			s.shutdown(replay)
			return
		default:
		}
		if s.down.Load() || !s.templateReady.Load() {
			if !s.waitForCluster() {
				s.shutdown(replay)
				return
			}
			continue
		}
		// alternate between fresh alerts and the spool so neither starves
		fromSpool = !fromSpool
		if fromSpool || len(s.queue) == 0 {
			if len(replay) == 0 && s.spool.HasUnread() {
				items, err := s.spool.Next()
				if err != nil {
					s.log.Error("read spool", "error", err)
				}
				replay = items
			}
			if len(replay) > 0 {
				it := replay[0]
				replay = replay[1:]
				s.add(it)
				continue
			}
		}
		select {
		case it := <-s.queue:
			s.add(it)
		case <-s.flushReq:
			s.flushNow()
		case <-tick.C:
			// a partly filled request waits at most the flush interval
			if n, age := s.ship.pending(); n > 0 && age >= s.cfg.FlushInterval {
				s.ship.send()
			}
		case <-s.closing:
			s.shutdown(replay)
			return
		}
	}
}

// waitForCluster backs off, probes the cluster and moves the memory queue to the spool meanwhile,
// so that a crash during an outage loses nothing. It returns false when the sink closes.
func (s *Sink) waitForCluster() bool {
	n := s.failures.Load()
	if n < 1 {
		n = 1
	}
	timer := time.NewTimer(backoff(int(n), 250*time.Millisecond, s.cfg.MaxBackoff))
	defer timer.Stop()
	for {
		select {
		case it := <-s.queue:
			s.spooled.Add(1)
			s.spool.Orphan(it) // on disk already: shipped from the spool once the cluster is back
			releaseBody(it)
			continue
		case <-s.closing:
			return false
		case <-timer.C:
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	if err := s.ensureReady(ctx); err != nil {
		s.failures.Add(1)
		s.log.Debug("Elasticsearch still unavailable", "error", err)
		return true
	}
	if s.down.Swap(false) {
		s.log.Info("Elasticsearch is back; shipping spooled alerts", "spool_bytes", s.spool.Bytes())
	}
	return true
}

// shutdown flushes what can still go before the Close deadline and spools the rest.
func (s *Sink) shutdown(replay []*spoolItem) {
	ctx := s.closeCtx
	if ctx == nil {
		ctx = context.Background()
	}
	if !s.down.Load() && s.templateReady.Load() {
		for ctx.Err() == nil && !s.down.Load() {
			select {
			case it := <-s.queue:
				s.add(it)
				continue
			default:
			}
			break
		}
		replay = append(replay, s.drainSpool(ctx)...)
	}
	// whatever is left in memory is on disk already: the next run ships it from the spool
	for {
		select {
		case it := <-s.queue:
			s.spooled.Add(1)
			s.spool.Orphan(it)
			releaseBody(it)
			continue
		default:
		}
		break
	}
	if err := s.ship.close(ctx); err != nil {
		s.log.Warn("bulk requests did not finish before the deadline; unfinished alerts stay in the spool", "error", err)
	}
	// a partly replayed segment stays on disk for the next run (its IDs make a resend harmless)
	released := map[*spoolSegment]bool{}
	for _, it := range replay {
		if it.seg != nil && !released[it.seg] {
			released[it.seg] = true
			s.spool.Release(it.seg)
		}
	}
}

// drainSpool ships, before ctx ends and while the cluster answers, what this run put in the spool:
// overflow, repaired documents and retries, so that a one-shot run (a replay) leaves nothing behind
// that it could have sent. Earlier runs' segments wait for the next run: Close stays short. It
// returns the items it could not hand over.
func (s *Sink) drainSpool(ctx context.Context) []*spoolItem {
	var replay []*spoolItem
	for ctx.Err() == nil && !s.down.Load() {
		for len(replay) > 0 && ctx.Err() == nil && !s.down.Load() {
			s.add(replay[0])
			replay = replay[1:]
		}
		if len(replay) > 0 {
			return replay
		}
		if !s.spool.HasUnreadOfThisRun() {
			// the last bulk may repair or retry items into the spool: flush, then look again
			if err := s.ship.flush(ctx); err != nil || !s.spool.HasUnreadOfThisRun() {
				return nil
			}
		}
		items, err := s.spool.NextOfThisRun()
		if err != nil {
			s.log.Error("read spool", "error", err)
			return nil
		}
		replay = items
	}
	return replay
}

// add hands one item to the bulk shipper; succeeded and failed decide what happens to it.
func (s *Sink) add(it *spoolItem) {
	s.added.Add(1)
	s.ship.add(it)
}

// succeeded is called for each item Elasticsearch confirmed.
func (s *Sink) succeeded(it *spoolItem) {
	s.indexed.Add(1)
	s.failures.Store(0)
	s.spool.Done(it)
}

// failed decides about an item Elasticsearch did not take: a rejected mapping is repaired and
// re-sent, anything else (429, 5xx, connection, auth) is kept in the spool for a retry.
func (s *Sink) failed(it *spoolItem, resp bulkResult, err error) {
	if err == nil && resp.Status == http.StatusBadRequest {
		fixed, ok := repair(it, resp.Error.Type, resp.Error.Reason)
		if ok {
			s.repaired.Add(1)
			s.keep(fixed)
		} else {
			s.deadLetter(it, resp.Error.Type+": "+resp.Error.Reason)
		}
		s.spool.Done(it)
		return
	}
	reason := ""
	switch {
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		reason = fmt.Sprintf("HTTP %d %s: %s", resp.Status, resp.Error.Type, resp.Error.Reason)
		if err != nil {
			reason = err.Error()
		}
		if !s.authFailed.Swap(true) {
			s.log.Error("Elasticsearch refuses the sink's credentials; alerts are spooled", "status", resp.Status)
		}
	case err != nil:
		reason = err.Error()
	default:
		reason = fmt.Sprintf("HTTP %d %s: %s", resp.Status, resp.Error.Type, resp.Error.Reason)
	}
	s.retried.Add(1)
	s.failures.Add(1)
	if !s.down.Swap(true) {
		s.log.Warn("Elasticsearch unavailable; spooling alerts and retrying with backoff", "error", reason)
	}
	cp := *it
	cp.seg, cp.pooled = nil, nil // the copy is only spooled; the buffer stays the item's
	s.keep(&cp)
	s.spool.Done(it)
}

// keep appends an item to the spool; if even that fails the alert is logged in full as the last resort.
func (s *Sink) keep(it *spoolItem) {
	s.spooled.Add(1)
	if err := s.spool.Append(it); err != nil {
		s.log.Error("could not spool an alert; it is logged here instead", "error", err, "index", it.Index,
			"id", it.ID, "document", string(it.Body))
	}
}

// ensureReady checks cluster health and installs the index template once.
func (s *Sink) ensureReady(ctx context.Context) error {
	res, err := s.client.Cluster.Health(s.client.Cluster.Health.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("cluster health %s: %w", s.addresses(), err)
	}
	defer res.Body.Close()
	if err := responseError(res.StatusCode, res.String(), s.addresses()); err != nil {
		return err
	}
	s.authFailed.Store(false)
	if s.templateReady.Load() {
		return nil
	}
	return s.installTemplate(ctx)
}

// installTemplate puts the index template; idempotent (the same body replaces itself).
func (s *Sink) installTemplate(ctx context.Context) error {
	name := TemplateName(s.cfg.IndexPrefix)
	res, err := s.client.Indices.PutIndexTemplate(name, bytes.NewReader(IndexTemplate(s.cfg.IndexPrefix, s.cfg.Replicas)),
		s.client.Indices.PutIndexTemplate.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("install index template %s: %w", name, err)
	}
	defer res.Body.Close()
	if err := responseError(res.StatusCode, res.String(), s.addresses()); err != nil {
		return fmt.Errorf("install index template %s: %w", name, err)
	}
	s.templateReady.Store(true)
	return nil
}

func responseError(status int, body, addr string) error {
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s answered 401 Unauthorized: check user and password-file, api-key or bearer", ErrAuth, addr)
	case status == http.StatusForbidden:
		return fmt.Errorf("%w: %s answered 403 Forbidden: the user may not manage index templates or write %s",
			ErrAuth, addr, "the alert indices")
	case status >= 300:
		return fmt.Errorf("%s: %s", addr, truncateN(body, 300))
	}
	return nil
}

func (s *Sink) addresses() string { return strings.Join(s.cfg.Addresses, ",") }

func truncate(s string) string { return truncateN(s, 32<<10) }

func truncateN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "...(truncated)"
}
