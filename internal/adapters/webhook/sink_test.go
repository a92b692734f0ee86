package webhook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tracee "github.com/aquasecurity/tracee/types/trace"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// guard bounds waits that must not hang; the tests never assert on durations.
const guard = 10 * time.Second

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sampleEvent(i int) *trace.Event {
	return &trace.Event{
		Timestamp: 1700000000 + i, ProcessID: 42 + i, ProcessName: "cat", EventID: 6018, EventName: "ptrace",
		Args: []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "const char*"}, Value: "/etc/shadow"}},
	}
}

// request is what the test server saw.
type request struct {
	ctype      string
	body       []byte
	user, pass string
	auth       bool
}

// recorder answers with the scripted responses in turn (the last one repeats) and keeps requests.
type recorder struct {
	mu        sync.Mutex
	responses []response
	requests  []request
}

type response struct {
	code       int
	retryAfter string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	user, pass, ok := r.BasicAuth()
	rec.mu.Lock()
	rec.requests = append(rec.requests, request{ctype: r.Header.Get("Content-Type"), body: body, user: user, pass: pass, auth: ok})
	resp := response{code: http.StatusOK}
	if len(rec.responses) > 0 {
		resp = rec.responses[0]
		if len(rec.responses) > 1 {
			rec.responses = rec.responses[1:]
		}
	}
	rec.mu.Unlock()
	if resp.retryAfter != "" {
		w.Header().Set("Retry-After", resp.retryAfter)
	}
	w.WriteHeader(resp.code)
}

func (rec *recorder) seen() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.requests...)
}

// newSink builds a sink from a destination URL; its backoff waits are recorded, not slept.
func newSink(t *testing.T, raw string, log *slog.Logger) (*Sink, *[]time.Duration) {
	t.Helper()
	cfg, err := ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name = "hook"
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	s.deliver.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, waits
}

func TestSink_Write_retries_transient_failures_only(t *testing.T) {
	tests := []struct {
		name         string
		responses    []response
		query        string
		wantRequests int
		wantStats    Stats
		wantRejected bool
		wantWaits    []time.Duration // nil: not checked (jittered backoff)
	}{
		{name: "200 delivers once", responses: []response{{code: 200}},
			wantRequests: 1, wantStats: Stats{Sent: 1}},
		{name: "503 twice then 200 delivers once after two retries", responses: []response{{code: 503}, {code: 503}, {code: 200}},
			wantRequests: 3, wantStats: Stats{Sent: 1, Retried: 2}},
		{name: "400 is not retried", responses: []response{{code: 400}},
			wantRequests: 1, wantStats: Stats{Failed: 1}, wantRejected: true},
		{name: "404 is not retried", responses: []response{{code: 404}},
			wantRequests: 1, wantStats: Stats{Failed: 1}, wantRejected: true},
		{name: "429 waits Retry-After then retries", responses: []response{{code: 429, retryAfter: "2"}, {code: 202}},
			wantRequests: 2, wantStats: Stats{Sent: 1, Retried: 1}, wantWaits: []time.Duration{2 * time.Second}},
		{name: "503 with Retry-After waits it too", responses: []response{{code: 503, retryAfter: "1"}, {code: 200}},
			wantRequests: 2, wantStats: Stats{Sent: 1, Retried: 1}, wantWaits: []time.Duration{time.Second}},
		{name: "500 for ever exhausts the default 3 retries", responses: []response{{code: 500}},
			wantRequests: 4, wantStats: Stats{Retried: 3, Failed: 1}, wantRejected: true},
		{name: "retries=1 bounds the retries", query: "?retries=1", responses: []response{{code: 502}},
			wantRequests: 2, wantStats: Stats{Retried: 1, Failed: 1}, wantRejected: true},
		{name: "retries=0 tries once", query: "?retries=0", responses: []response{{code: 502}},
			wantRequests: 1, wantStats: Stats{Failed: 1}, wantRejected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{responses: tt.responses}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			s, waits := newSink(t, srv.URL+tt.query, discardLog())

			err := s.Write(context.Background(), sampleEvent(1))
			if got := errors.Is(err, domain.ErrEventRejected); got != tt.wantRejected {
				t.Fatalf("Write error = %v; rejected = %v, want %v", err, got, tt.wantRejected)
			}
			if !tt.wantRejected && err != nil {
				t.Fatalf("Write: %v", err)
			}
			reqs := rec.seen()
			if len(reqs) != tt.wantRequests {
				t.Fatalf("server saw %d requests, want %d", len(reqs), tt.wantRequests)
			}
			if got := s.Stats(); got != tt.wantStats {
				t.Fatalf("Stats() = %+v, want %+v", got, tt.wantStats)
			}
			if tt.wantWaits != nil && !equalDurations(*waits, tt.wantWaits) {
				t.Fatalf("waits = %v, want %v", *waits, tt.wantWaits)
			}
			for _, r := range reqs {
				if r.ctype != "application/json" {
					t.Fatalf("Content-Type = %q, want application/json", r.ctype)
				}
				var ev tracee.Event
				if err := json.Unmarshal(r.body, &ev); err != nil {
					t.Fatalf("body is not a Tracee event: %v\n%s", err, r.body)
				}
				if ev.EventName != "ptrace" || ev.ProcessID != 43 || len(ev.Args) != 1 || ev.Args[0].Value != "/etc/shadow" {
					t.Fatalf("decoded event = %+v", ev)
				}
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSink_dead_server_fails_after_retries(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // the listener is gone: connections are refused

	s, waits := newSink(t, url+"?retries=2", discardLog())
	err := s.Write(context.Background(), sampleEvent(1))
	if !errors.Is(err, domain.ErrEventRejected) {
		t.Fatalf("Write error = %v, want one wrapping domain.ErrEventRejected", err)
	}
	if got, want := s.Stats(), (Stats{Retried: 2, Failed: 1}); got != want {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
	if len(*waits) != 2 {
		t.Fatalf("backoff waits = %v, want 2", *waits)
	}
	// The server is known down: the next event gets one try, no backoff.
	if err := s.Write(context.Background(), sampleEvent(2)); !errors.Is(err, domain.ErrEventRejected) {
		t.Fatalf("second Write error = %v", err)
	}
	if got, want := s.Stats(), (Stats{Retried: 2, Failed: 2}); got != want || !s.SpoolStats().Down {
		t.Fatalf("after a second event: Stats() = %+v (down %v), want %+v and down", got, s.SpoolStats().Down, want)
	}
}

func TestSink_Close_does_not_wait_past_its_ctx(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()

	// A real, hour-long backoff: only Close's ctx can end the Write.
	cfg, err := ParseURL(url + "?retries=3&backoff=1h&batch=2")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Write(context.Background(), sampleEvent(1)) // buffered
	writeDone := make(chan error, 1)
	go func() { writeDone <- s.Write(context.Background(), sampleEvent(2)) }() // posts, then backs off

	waitFor(t, func() bool { return s.Stats().Retried == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	closeDone := make(chan error, 1)
	go func() { closeDone <- s.Close(ctx) }()
	select {
	case err := <-closeDone:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close error = %v, want the ctx deadline", err)
		}
	case <-time.After(guard):
		t.Fatal("Close blocked past its ctx")
	}
	select {
	case err := <-writeDone:
		if !errors.Is(err, domain.ErrEventRejected) {
			t.Fatalf("aborted Write error = %v", err)
		}
	case <-time.After(guard):
		t.Fatal("the Write in flight was not aborted by Close")
	}
	if err := s.Write(context.Background(), sampleEvent(3)); !errors.Is(err, ErrClosed) || errors.Is(err, domain.ErrEventRejected) {
		t.Fatalf("Write after Close = %v, want ErrClosed (fatal, not a rejection)", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSink_timeout_bounds_each_request(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	s, _ := newSink(t, srv.URL+"?timeout=50ms&retries=1", discardLog())
	done := make(chan error, 1)
	go func() { done <- s.Write(context.Background(), sampleEvent(1)) }()
	select {
	case err := <-done:
		if !errors.Is(err, domain.ErrEventRejected) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Write error = %v, want a rejected event after a deadline", err)
		}
	case <-time.After(guard):
		t.Fatal("the timeout parameter was not applied")
	}
	if got, want := s.Stats(), (Stats{Retried: 1, Failed: 1}); got != want {
		t.Fatalf("Stats() = %+v, want %+v (a timeout is retried)", got, want)
	}
}

func TestSink_basic_auth_from_url_never_leaks(t *testing.T) {
	tests := []struct {
		name      string
		responses []response
		wantErr   bool
	}{
		{name: "accepted", responses: []response{{code: 200}}},
		{name: "refused with 401", responses: []response{{code: 401}}, wantErr: true},
		{name: "server error after retries", responses: []response{{code: 500}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{responses: tt.responses}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			raw := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
			s, _ := newSink(t, raw+"?batch=2", log)

			for i := range 3 {
				if err := s.Write(context.Background(), sampleEvent(i)); err != nil {
					if !tt.wantErr || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "alice") {
						t.Fatalf("Write error = %v", err)
					}
				}
			}
			_ = s.Flush(context.Background())
			err := s.Close(context.Background())
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("Close error leaks the password: %v", err)
			}
			if strings.Contains(logs.String(), "s3cret") {
				t.Fatalf("logs leak the password:\n%s", logs.String())
			}
			if tt.wantErr && tt.responses[0].code == 500 && !strings.Contains(logs.String(), "webhook batch dropped") {
				t.Fatalf("a dropped batch was not logged:\n%s", logs.String())
			}
			for _, r := range rec.seen() {
				if !r.auth || r.user != "alice" || r.pass != "s3cret" {
					t.Fatalf("server saw auth %v %q:%q, want alice:s3cret", r.auth, r.user, r.pass)
				}
			}
		})
	}
}

func TestSink_batch_posts_NDJSON(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s, _ := newSink(t, srv.URL+"?batch=3", discardLog())

	for i := range 7 {
		if err := s.Write(context.Background(), sampleEvent(i)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	if got := len(rec.seen()); got != 2 {
		t.Fatalf("before Flush the server saw %d requests, want 2 full batches", got)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	reqs := rec.seen()
	wantSizes := []int{3, 3, 1}
	if len(reqs) != len(wantSizes) {
		t.Fatalf("server saw %d requests, want %d", len(reqs), len(wantSizes))
	}
	pid := 42
	for i, r := range reqs {
		if r.ctype != "application/x-ndjson" {
			t.Fatalf("Content-Type = %q", r.ctype)
		}
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		n := 0
		for sc.Scan() {
			var ev tracee.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			if ev.ProcessID != pid {
				t.Fatalf("event out of order: pid %d, want %d", ev.ProcessID, pid)
			}
			pid++
			n++
		}
		if n != wantSizes[i] {
			t.Fatalf("request %d held %d events, want %d", i, n, wantSizes[i])
		}
	}
	if got, want := s.Stats(), (Stats{Sent: 7}); got != want {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
}

func TestSink_Close_flushes_a_partial_batch(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s, _ := newSink(t, srv.URL+"?batch=10", discardLog())
	for i := range 4 {
		if err := s.Write(context.Background(), sampleEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if reqs := rec.seen(); len(reqs) != 1 || bytes.Count(reqs[0].body, []byte("\n")) != 4 {
		t.Fatalf("Close sent %d requests, want one with 4 events", len(reqs))
	}
}

func TestSink_gotemplate_renders_each_event(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	tmpl := filepath.Join(t.TempDir(), "event.tmpl")
	if err := os.WriteFile(tmpl, []byte(`{"rule":"{{.EventName}}","pid":{{.ProcessID}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := newSink(t, srv.URL+"?gotemplate="+tmpl, discardLog())
	if err := s.Write(context.Background(), sampleEvent(1)); err != nil {
		t.Fatal(err)
	}
	reqs := rec.seen()
	if len(reqs) != 1 || string(reqs[0].body) != `{"rule":"ptrace","pid":43}` || reqs[0].ctype != "application/json" {
		t.Fatalf("requests = %+v", reqs)
	}
}
