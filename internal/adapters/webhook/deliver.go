package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// maxRetryAfter caps a server's Retry-After so one event cannot hold the output for minutes.
const maxRetryAfter = 30 * time.Second

// maxBackoff caps the exponential backoff between retries (unless Config.Backoff is larger).
const maxBackoff = 10 * time.Second

// deliverer posts one request body with retries and counts the outcome.
type deliverer struct {
	client   *http.Client
	endpoint string // no credentials
	where    string // no credentials, no query: for errors
	user     string
	pass     string
	auth     bool
	ctype    string
	timeout  time.Duration
	retries  int
	backoff  time.Duration
	sleep    func(ctx context.Context, d time.Duration) error

	sent, retried, failed atomic.Uint64
	// down is set when retries were exhausted on a transient failure: later requests get one try
	// each until one succeeds, so draining a queue to a dead server costs no backoff per event.
	down atomic.Bool
}

// statusError is a non-2xx answer.
type statusError struct {
	code       int
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("server answered %d %s", e.code, http.StatusText(e.code))
}

func (e *statusError) transient() bool {
	return e.code == http.StatusTooManyRequests || e.code >= 500
}

// post sends body (events events) and retries transient failures: connection errors, timeouts,
// 5xx and 429 (waiting Retry-After when given). Other answers are final.
func (d *deliverer) post(ctx context.Context, body []byte, events int) error {
	tries := d.retries + 1
	if d.down.Load() {
		tries = 1
	}
	var err error
	for i := 0; ; i++ {
		err = d.once(ctx, body)
		if err == nil {
			d.sent.Add(uint64(events))
			d.down.Store(false)
			return nil
		}
		var se *statusError
		final := errors.As(err, &se) && !se.transient()
		if final || i+1 >= tries || ctx.Err() != nil {
			if !final && ctx.Err() == nil {
				d.down.Store(true)
			}
			break
		}
		wait := d.backoffFor(i)
		if se != nil && se.retryAfter > 0 {
			wait = se.retryAfter
		}
		d.retried.Add(1)
		if serr := d.sleep(ctx, wait); serr != nil {
			break
		}
	}
	d.failed.Add(uint64(events))
	if tries > 1 {
		return fmt.Errorf("post %s: %w (after %d tries)", d.where, err, tries)
	}
	return fmt.Errorf("post %s: %w", d.where, err)
}

// once makes one request bounded by the timeout.
func (d *deliverer) once(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", d.ctype)
	if d.auth {
		req.SetBasicAuth(d.user, d.pass)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		// *url.Error repeats the endpoint (with its query); the caller names the endpoint already.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	// Read a little of the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &statusError{code: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// backoffFor is the delay before retry i (0-based): backoff*2^i, capped at maxBackoff (or at
// backoff when that is larger), with jitter in [d/2, d].
func (d *deliverer) backoffFor(i int) time.Duration {
	ceiling := max(maxBackoff, d.backoff)
	w := d.backoff
	for range i {
		if w >= ceiling/2 {
			w = ceiling
			break
		}
		w *= 2
	}
	return w/2 + rand.N(w/2+1)
}

// parseRetryAfter reads delay-seconds or an HTTP date, capped at maxRetryAfter; 0 when absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}
