package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/lograte"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/internal/redact"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ErrClosed is returned by Write after Close. It is fatal for the output (it does not wrap
// domain.ErrEventRejected).
var ErrClosed = errors.New("webhook output closed")

// Stats are the sink's delivery counters.
type Stats struct {
	Sent    uint64 // events the server accepted (2xx)
	Retried uint64 // requests repeated after a transient failure
	Failed  uint64 // events dropped: a 4xx answer, or retries exhausted
}

// Sink posts events to a webhook. Delivery failures drop the event (counted in Stats) and leave the
// output open; only Write after Close is fatal.
type Sink struct {
	name     string
	log      *slog.Logger
	failLog  *lograte.Limiter
	client   *http.Client
	deliver  deliverer
	tmpl     *template.Template // nil for json
	ctype    string
	batchMax int

	// lock is a one-slot semaphore rather than a mutex so Close can give up when its ctx ends.
	lock    chan struct{}
	batch   bytes.Buffer
	batched int

	// life is cancelled by Close and aborts any request or backoff still running.
	life   context.Context
	cancel context.CancelFunc
	closed atomic.Bool
	once   sync.Once
}

// New checks cfg and prepares the sink; it does not contact the server.
func New(cfg Config, log *slog.Logger) (*Sink, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook %s: url %s: want http(s)://host[:port][/path]", cfg.Name, redact.URL(cfg.URL))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	endpoint, where, user, pass, auth := endpointOf(u)
	log = log.With("component", "webhook", "output", cfg.Name, "url", where)
	s := &Sink{
		name:     cfg.Name,
		log:      log,
		failLog:  lograte.New(log, slog.LevelWarn, 0),
		client:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		ctype:    cfg.ContentType,
		batchMax: cfg.Batch,
		lock:     make(chan struct{}, 1),
	}
	switch cfg.Format {
	case "", FormatJSON:
	case FormatGoTemplate:
		if cfg.Batch > 1 {
			return nil, fmt.Errorf("webhook %s: batch needs the json format, not gotemplate", cfg.Name)
		}
		if s.tmpl, err = parseTemplate(cfg.Template); err != nil {
			return nil, fmt.Errorf("webhook %s: %w", cfg.Name, err)
		}
	default:
		return nil, fmt.Errorf("webhook %s: format %q: use json or gotemplate", cfg.Name, cfg.Format)
	}
	if s.ctype == "" {
		s.ctype = "application/json"
		if s.batchMax > 1 {
			s.ctype = "application/x-ndjson"
		}
	}
	s.life, s.cancel = context.WithCancel(context.Background())
	s.deliver = deliverer{
		client: s.client, endpoint: endpoint, where: where, user: user, pass: pass, auth: auth,
		ctype: s.ctype, timeout: cfg.Timeout, retries: cfg.Retries, backoff: cfg.Backoff,
		sleep: sleepCtx,
	}
	return s, nil
}

func parseTemplate(path string) (*template.Template, error) {
	if path == "" {
		return nil, errors.New("gotemplate needs a template file")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := template.New(path).Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path, err)
	}
	return t, nil
}

// Write posts ev (or adds it to the batch, posting a full one). A delivery failure returns an
// error wrapping domain.ErrEventRejected: the event is counted and dropped, the output stays open.
func (s *Sink) Write(ctx context.Context, ev *trace.Event) error {
	if s.closed.Load() {
		return ErrClosed
	}
	body, err := s.encode(ev)
	if err != nil {
		s.deliver.failed.Add(1)
		return fmt.Errorf("webhook %s: encode event: %w: %w", s.name, domain.ErrEventRejected, err)
	}
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	if s.closed.Load() {
		return ErrClosed
	}
	ctx, stop := s.bind(ctx)
	defer stop()
	if s.batchMax <= 1 {
		return s.rejected(s.deliver.post(ctx, body, 1))
	}
	s.batch.Write(body)
	s.batch.WriteByte('\n')
	s.batched++
	if s.batched < s.batchMax {
		return nil
	}
	return s.rejected(s.sendBatch(ctx))
}

// Flush posts a partial batch. A failure is logged (rate-limited) and counted, not returned: an
// error from Flush would close the output for what is a transient server problem.
func (s *Sink) Flush(ctx context.Context) error {
	if s.closed.Load() || s.batchMax <= 1 {
		return nil
	}
	if err := s.acquire(ctx); err != nil {
		return nil // a Close holds the lock and will flush
	}
	defer s.release()
	ctx, stop := s.bind(ctx)
	defer stop()
	if err := s.sendBatch(ctx); err != nil {
		s.failLog.Log(ctx, "webhook batch dropped", "error", err)
	}
	return nil
}

// Close posts a partial batch and releases the connections. It returns when ctx ends at the
// latest, aborting any request or retry in flight.
func (s *Sink) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		defer s.client.CloseIdleConnections()
		defer s.cancel()
		if aerr := s.acquire(ctx); aerr != nil {
			err = fmt.Errorf("webhook %s: close: %w", s.name, aerr)
			return
		}
		defer s.release()
		bctx, stop := s.bind(ctx)
		defer stop()
		if serr := s.sendBatch(bctx); serr != nil {
			err = fmt.Errorf("webhook %s: close: %w", s.name, serr)
		}
	})
	return err
}

// Stats returns the delivery counters; safe to call from any goroutine.
func (s *Sink) Stats() Stats {
	return Stats{Sent: s.deliver.sent.Load(), Retried: s.deliver.retried.Load(), Failed: s.deliver.failed.Load()}
}

// SpoolStats maps Stats onto the outputs' retry counters (app.NamedSink.Spool).
func (s *Sink) SpoolStats() ports.SpoolStats {
	st := s.Stats()
	return ports.SpoolStats{Indexed: st.Sent, Retried: st.Retried, DeadLettered: st.Failed, Down: s.deliver.down.Load()}
}

func (s *Sink) encode(ev *trace.Event) ([]byte, error) {
	if s.tmpl == nil {
		return json.Marshal(ev)
	}
	var b bytes.Buffer
	if err := s.tmpl.Execute(&b, ev); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (s *Sink) sendBatch(ctx context.Context) error {
	if s.batched == 0 {
		return nil
	}
	n := s.batched
	body := bytes.Clone(s.batch.Bytes())
	s.batch.Reset()
	s.batched = 0
	return s.deliver.post(ctx, body, n)
}

func (s *Sink) rejected(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("webhook %s: %w: %w", s.name, domain.ErrEventRejected, err)
}

func (s *Sink) acquire(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sink) release() { <-s.lock }

// bind returns ctx cancelled also when Close gives up, so no request outlives the sink.
func (s *Sink) bind(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.life, cancel)
	return ctx, func() { stop(); cancel() }
}

var _ ports.EventSink = (*Sink)(nil)

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
