// Package alerts is the `tracee alerts search` use case: it asks an alert store (ports.AlertSearcher)
// for alerts, counts, groups or a histogram and renders them as a table, JSON or NDJSON, and
// follows new alerts by polling.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Output formats.
const (
	FormatTable  = "table"
	FormatJSON   = "json"
	FormatNDJSON = "ndjson"
)

// Defaults of a Request.
const (
	DefaultLimit     = 100
	DefaultBySize    = 10
	DefaultPollEvery = time.Second
	// pageSize is how many alerts one Search asks for while printing up to Limit.
	pageSize = 1000
)

// Request is one `alerts search` invocation.
type Request struct {
	Query  domain.AlertQuery // filters and free text; Limit and Cursor are set by the service
	Limit  int               // most alerts printed by a search (default 100); with Follow, the backlog
	Format string            // table (default), json or ndjson
	// At most one of Count, By and Histogram.
	Count     bool
	By        domain.AlertField
	BySize    int           // buckets of By (default 10)
	Histogram time.Duration // bucket width
	// Follow prints the newest Limit alerts oldest first, then new alerts as they are recorded.
	Follow    bool
	PollEvery time.Duration // how often Follow asks the store (default 1s)
}

// Validate rejects combinations that have no meaning.
func (r Request) Validate() error {
	modes := 0
	for _, on := range []bool{r.Count, r.By != "", r.Histogram != 0} {
		if on {
			modes++
		}
	}
	switch {
	case modes > 1:
		return errors.New("--count, --by and --histogram cannot be combined")
	case r.Follow && modes > 0:
		return errors.New("--follow streams alerts: it cannot be combined with --count, --by or --histogram")
	case r.Follow && r.Format == FormatJSON:
		return errors.New("--follow cannot produce one JSON document: use --output ndjson")
	case r.Histogram < 0:
		return errors.New("--histogram needs a positive bucket width such as 1h")
	case r.Limit < 0:
		return errors.New("--limit cannot be negative")
	case !r.Query.Since.IsZero() && !r.Query.Until.IsZero() && !r.Query.Until.After(r.Query.Since):
		return errors.New("--until must be after --since")
	}
	switch r.Format {
	case "", FormatTable, FormatJSON, FormatNDJSON:
	default:
		return fmt.Errorf("unknown output %q: want table, json or ndjson", r.Format)
	}
	return nil
}

// Service runs requests against one store.
type Service struct {
	store ports.AlertSearcher
	out   io.Writer
	now   func() time.Time
}

// New returns a service that prints to out.
func New(store ports.AlertSearcher, out io.Writer) *Service {
	return &Service{store: store, out: out, now: time.Now}
}

// Run answers r. With Follow it returns when ctx ends (nil).
func (s *Service) Run(ctx context.Context, r Request) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.Format == "" {
		r.Format = FormatTable
	}
	if r.Limit == 0 {
		r.Limit = DefaultLimit
	}
	r.Query.Cursor, r.Query.Limit = "", 0
	switch {
	case r.Count:
		n, err := s.store.Count(ctx, r.Query)
		if err != nil {
			return err
		}
		return renderCount(s.out, r.Format, n)
	case r.By != "":
		size := r.BySize
		if size <= 0 {
			size = DefaultBySize
		}
		b, err := s.store.Aggregate(ctx, r.Query, r.By, size)
		if err != nil {
			return err
		}
		return renderBuckets(s.out, r.Format, r.By, b)
	case r.Histogram > 0:
		return s.histogram(ctx, r)
	case r.Follow:
		return s.follow(ctx, r)
	}
	return s.search(ctx, r)
}

func (s *Service) histogram(ctx context.Context, r Request) error {
	b, err := s.store.Histogram(ctx, r.Query, r.Histogram)
	if err != nil {
		return err
	}
	// a window the user asked for is drawn whole, empty buckets included
	until := r.Query.Until
	if until.IsZero() && !r.Query.Since.IsZero() {
		until = s.now()
	}
	filled := domain.FillTimeBuckets(b, r.Histogram, r.Query.Since, until)
	return renderHistogram(s.out, r.Format, r.Histogram, filled)
}

// search prints up to r.Limit alerts, newest first, paging through the store.
func (s *Service) search(ctx context.Context, r Request) error {
	w := newAlertWriter(s.out, r.Format)
	q := r.Query
	left := r.Limit
	for left > 0 {
		q.Limit = min(left, pageSize)
		page, err := s.store.Search(ctx, q)
		if err != nil {
			return err
		}
		if len(page.Alerts) > left {
			page.Alerts = page.Alerts[:left]
		}
		if err := w.write(page.Alerts); err != nil {
			return err
		}
		left -= len(page.Alerts)
		if page.Next == "" || len(page.Alerts) == 0 {
			break
		}
		q.Cursor = page.Next
	}
	return w.close()
}

// follow prints the newest r.Limit alerts oldest first, then polls for newer ones. It asks again
// from the time of the newest alert it printed (inclusive) and skips the alerts it already printed
// at that instant, so alerts sharing a timestamp are neither lost nor repeated.
func (s *Service) follow(ctx context.Context, r Request) error {
	every := r.PollEvery
	if every <= 0 {
		every = DefaultPollEvery
	}
	w := newAlertWriter(s.out, r.Format)
	q := r.Query
	q.Limit = min(r.Limit, pageSize*10)
	first, err := s.store.Search(ctx, q)
	if err != nil && !errors.Is(err, domain.ErrNoAlerts) { // the first alert may not exist yet
		return err
	}
	backlog := slices.Clone(first.Alerts)
	slices.Reverse(backlog)
	var last time.Time
	seen := map[string]bool{}
	emit := func(as []domain.Alert) error {
		var out []domain.Alert
		for _, a := range as {
			if a.Time.Equal(last) && seen[a.ID] {
				continue
			}
			if a.Time.After(last) {
				last = a.Time
				clear(seen)
			}
			seen[a.ID] = true
			out = append(out, a)
		}
		return w.write(out)
	}
	if err := emit(backlog); err != nil {
		return err
	}
	if last.IsZero() {
		last = s.now()
		if !q.Since.IsZero() && q.Since.Before(last) {
			last = q.Since
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return w.close()
		case <-tick.C:
		}
		pq := r.Query
		pq.Ascending, pq.Limit, pq.Since = true, pageSize, last
		for {
			page, err := s.store.Search(ctx, pq)
			if err != nil {
				if ctx.Err() != nil {
					return w.close()
				}
				if errors.Is(err, domain.ErrNoAlerts) {
					break
				}
				return err
			}
			if err := emit(page.Alerts); err != nil {
				return err
			}
			if page.Next == "" {
				break
			}
			pq.Cursor = page.Next
		}
	}
}
