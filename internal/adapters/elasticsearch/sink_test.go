package elasticsearch

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeES is a minimal Elasticsearch: cluster health, index templates and _bulk, with hooks
// to refuse items. It stores documents by index and ID, so a resend overwrites.
type fakeES struct {
	mu        sync.Mutex
	docs      map[string]json.RawMessage // index/id -> source
	auth      []string                   // Authorization headers seen
	templates int
	// itemStatus decides the status of one bulk item (0 = 201); nil accepts everything.
	itemStatus func(n int, id string, src []byte) (int, string, string)
	healthCode int
	bulkCalls  int
}

func newFakeES(t *testing.T) (*fakeES, *httptest.Server) {
	f := &fakeES{docs: map[string]json.RawMessage{}, healthCode: 200}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeES) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	switch {
	case r.URL.Path == "/_cluster/health":
		w.WriteHeader(f.healthCode)
		if f.healthCode == 401 {
			_, _ = io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate user"},"status":401}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"green"}`)
	case strings.HasPrefix(r.URL.Path, "/_index_template/"):
		f.templates++
		_, _ = io.WriteString(w, `{"acknowledged":true}`)
	case r.URL.Path == "/_bulk":
		f.bulkCalls++
		f.bulk(w, r)
	default:
		w.WriteHeader(404)
	}
}

func (f *fakeES) bulk(w http.ResponseWriter, r *http.Request) {
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var items []string
	for n := 0; sc.Scan(); n++ {
		var meta map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		_ = json.Unmarshal(sc.Bytes(), &meta)
		if !sc.Scan() {
			break
		}
		src := append([]byte(nil), sc.Bytes()...)
		m := meta["index"]
		status, typ, reason := 201, "", ""
		if f.itemStatus != nil {
			if s, t, rsn := f.itemStatus(len(f.docs)+n, m.ID, src); s != 0 {
				status, typ, reason = s, t, rsn
			}
		}
		if status < 300 {
			f.docs[m.Index+"/"+m.ID] = src
			items = append(items, fmt.Sprintf(`{"index":{"_index":%q,"_id":%q,"status":201,"result":"created"}}`, m.Index, m.ID))
		} else {
			items = append(items, fmt.Sprintf(`{"index":{"_index":%q,"_id":%q,"status":%d,"error":{"type":%q,"reason":%q}}}`,
				m.Index, m.ID, status, typ, reason))
		}
	}
	_, _ = fmt.Fprintf(w, `{"took":1,"errors":false,"items":[%s]}`, strings.Join(items, ","))
}

func (f *fakeES) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.docs)
}

func testConfig(t *testing.T, url string) Config {
	c := DefaultConfig()
	c.Addresses = []string{url}
	c.SpoolDir = t.TempDir()
	c.FlushInterval = 50 * time.Millisecond
	c.MaxBackoff = 200 * time.Millisecond
	return c
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	pause := 10 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Second) // the condition may query Elasticsearch: do not hammer it
	}
}

func TestSink_auth_headers(t *testing.T) {
	tests := []struct {
		name string
		set  func(c *Config)
		want string
	}{
		{"api key", func(c *Config) { c.APIKey = "aWQ6a2V5" }, "APIKey aWQ6a2V5"},
		{"bearer", func(c *Config) { c.BearerToken = "t0ken" }, "Bearer t0ken"},
		{"basic", func(c *Config) { c.Username, c.Password = "u", "p" }, "Basic dTpw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeES(t)
			cfg := testConfig(t, srv.URL)
			tt.set(&cfg)
			s, err := New(cfg, quietLog())
			require.NoError(t, err)
			require.NoError(t, s.Start(context.Background()))
			ev := testAlert(1, "10.0.0.1")
			require.NoError(t, s.Write(context.Background(), &ev))
			require.NoError(t, s.Close(context.Background()))
			assert.Equal(t, 1, f.count())
			f.mu.Lock()
			defer f.mu.Unlock()
			require.NotEmpty(t, f.auth)
			for _, h := range f.auth {
				assert.Equal(t, tt.want, h)
			}
		})
	}
}

func TestSink_wrong_credentials_one_clear_line(t *testing.T) {
	f, srv := newFakeES(t)
	f.healthCode = 401
	s, err := New(testConfig(t, srv.URL), quietLog())
	require.NoError(t, err)
	err = s.Start(context.Background())
	require.ErrorIs(t, err, ErrAuth)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "401 Unauthorized")
	require.NoError(t, s.Close(context.Background()))
}

func TestSink_retries_429_until_indexed_once(t *testing.T) {
	f, srv := newFakeES(t)
	var mu sync.Mutex
	refused := 0
	f.itemStatus = func(_ int, _ string, _ []byte) (int, string, string) {
		mu.Lock()
		defer mu.Unlock()
		if refused < 150 {
			refused++
			return 429, "es_rejected_execution_exception", "rejected execution of coordinating operation"
		}
		return 0, "", ""
	}
	s, err := New(testConfig(t, srv.URL), quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	for i := range 300 {
		ev := testAlert(1000+i, "10.0.0.1")
		require.NoError(t, s.Write(context.Background(), &ev))
	}
	waitFor(t, "300 documents", func() bool { return f.count() == 300 })
	require.NoError(t, s.Close(context.Background()))
	st := s.Stats()
	assert.Equal(t, uint64(300), st.Written)
	assert.Positive(t, st.Retried)
	assert.Zero(t, st.SpoolBytes, "spool drained")
	assert.Zero(t, st.Evicted)
}

func TestSink_repairs_a_rejected_mapping(t *testing.T) {
	f, srv := newFakeES(t)
	f.itemStatus = func(_ int, id string, src []byte) (int, string, string) {
		if strings.Contains(string(src), `"destination":{"ip":"not-an-ip"`) {
			return 400, "document_parsing_exception",
				"[1:2] failed to parse field [destination.ip] of type [ip] in document with id '" + id + "'"
		}
		return 0, "", ""
	}
	s, err := New(testConfig(t, srv.URL), quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(5, "not-an-ip")
	require.NoError(t, s.Write(context.Background(), &ev))
	waitFor(t, "the repaired document", func() bool { return f.count() == 1 })
	require.NoError(t, s.Close(context.Background()))
	var doc Document
	f.mu.Lock()
	for _, src := range f.docs {
		require.NoError(t, json.Unmarshal(src, &doc))
	}
	f.mu.Unlock()
	assert.Equal(t, uint64(1), s.Stats().Repaired)
	require.Len(t, doc.Tracee.Rejected, 1)
	assert.Equal(t, "destination.ip", doc.Tracee.Rejected[0].Field)
	assert.Equal(t, `"not-an-ip"`, doc.Tracee.Rejected[0].Value)
	require.NotNil(t, doc.Destination)
	assert.Empty(t, doc.Destination.IP)
	assert.Equal(t, 443, doc.Destination.Port)
	require.NotNil(t, doc.Rule)
	assert.Equal(t, "TRC-1013", doc.Rule.ID)
}

func TestSink_spools_while_down_and_ships_after_restart(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1") // nothing listens
	cfg.QueueSize = 10
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()), "an unreachable cluster is not fatal")
	for i := range 100 {
		ev := testAlert(2000+i, "10.0.0.1")
		require.NoError(t, s.Write(context.Background(), &ev))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.Close(ctx))
	assert.Positive(t, s.Stats().SpoolBytes)

	f, srv := newFakeES(t)
	cfg.Addresses = []string{srv.URL}
	s2, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s2.Start(context.Background()))
	waitFor(t, "100 documents from the spool", func() bool { return f.count() == 100 })
	require.NoError(t, s2.Close(context.Background()))
	assert.Zero(t, s2.Stats().SpoolBytes)
}

func TestSink_skips_base_events_unless_asked(t *testing.T) {
	f, srv := newFakeES(t)
	s, err := New(testConfig(t, srv.URL), quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(1, "10.0.0.1")
	plain := ev
	plain.Metadata = nil
	require.NoError(t, s.Write(context.Background(), &plain))
	require.NoError(t, s.Close(context.Background()))
	assert.Zero(t, f.count())
	assert.Zero(t, s.Stats().Written)
}

func TestSink_Flush_sends_without_waiting_for_the_interval(t *testing.T) {
	f, srv := newFakeES(t)
	cfg := testConfig(t, srv.URL)
	cfg.FlushInterval = time.Hour
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(9, "10.0.0.1")
	require.NoError(t, s.Write(context.Background(), &ev))
	require.NoError(t, s.Flush(context.Background()))
	waitFor(t, "the flushed alert", func() bool { return f.count() == 1 })
	require.NoError(t, s.Close(context.Background()))
}

func TestSink_Close_during_a_long_replay_keeps_the_rest_for_the_next_run(t *testing.T) {
	f, srv := newFakeES(t)
	slow := true
	f.itemStatus = func(n int, _ string, _ []byte) (int, string, string) {
		if slow {
			time.Sleep(time.Millisecond) // ~1,000 items/s: the replay takes many seconds
		}
		return 0, "", ""
	}
	cfg := testConfig(t, srv.URL)
	cfg.FlushBytes = 64 << 10
	sp, err := openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes)
	require.NoError(t, err)
	const n = 20000
	for i := range n {
		ev := testAlert(3000+i, "10.0.0.1")
		require.NoError(t, sp.Append(&spoolItem{Index: "x-2026.11.27", ID: DocumentID(&ev), Body: []byte(`{"n":1}`)}))
	}
	require.NoError(t, sp.Close())

	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, s.Close(ctx))
	assert.Less(t, time.Since(start), 10*time.Second, "Close does not wait for the whole spool")
	assert.Less(t, f.count(), n, "the replay was cut short")

	f.mu.Lock()
	slow = false
	f.mu.Unlock()
	s2, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s2.Start(context.Background()))
	waitFor(t, "the rest of the spool", func() bool { return f.count() == n })
	require.NoError(t, s2.Close(context.Background()))
	assert.Zero(t, s2.Stats().SpoolBytes)
}
