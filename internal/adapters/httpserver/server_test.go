package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/httpserver"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ptraceSignature reports every ptrace event at severity 3.
type ptraceSignature struct{ cb detect.SignatureHandler }

var ptraceMeta = detect.SignatureMetadata{ID: "TRC-102", Name: "Anti-Debugging", EventName: "anti_debugging", Version: "1",
	Properties: map[string]interface{}{"Severity": 3}}

func (s *ptraceSignature) GetMetadata() (detect.SignatureMetadata, error) { return ptraceMeta, nil }
func (s *ptraceSignature) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}, nil
}
func (s *ptraceSignature) Init(ctx detect.SignatureContext) error { s.cb = ctx.Callback; return nil }
func (s *ptraceSignature) Close()                                 {}
func (s *ptraceSignature) OnSignal(detect.Signal) error           { return nil }
func (s *ptraceSignature) OnEvent(ev protocol.Event) error {
	s.cb(&detect.Finding{SigMetadata: ptraceMeta, Event: ev})
	return nil
}

// feedSource emits what is sent on events, then waits for ctx: a source that stops producing.
type feedSource struct{ events chan trace.Event }

func (s *feedSource) Run(ctx context.Context, _ domain.Selection, emit func(*trace.Event)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-s.events:
			emit(&ev)
		}
	}
}

type discardSink struct{}

func (discardSink) Write(context.Context, *trace.Event) error { return nil }
func (discardSink) Flush(context.Context) error               { return nil }
func (discardSink) Close(context.Context) error               { return nil }

// runningAgent starts an agent over src with the ptrace signature; it stops at the end of the test.
func runningAgent(t *testing.T, src ports.EventSource, stallAfter time.Duration) (*app.Agent, *app.Monitor) {
	t.Helper()
	sigs := []domain.LoadedSignature{{Signature: &ptraceSignature{}, Info: domain.SignatureInfo{Metadata: ptraceMeta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, []string{"anti_debugging,openat"})
	require.NoError(t, err)
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{QueueSize: 16},
		[]app.NamedSink{{Name: "json", Sink: discardSink{}}}, slog.New(slog.DiscardHandler))
	agent, problems := app.NewAgent(app.AgentDeps{Source: src, Outputs: outputs, Catalog: cat, Selection: sel,
		Signatures: sigs, StallAfter: stallAfter})
	require.Empty(t, problems)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- agent.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return agent, app.NewMonitor(agent, nil, nil)
}

func startServer(t *testing.T, cfg httpserver.Config, mon ports.AgentMonitor) string {
	t.Helper()
	cfg.Address = "127.0.0.1:0"
	s, err := httpserver.New(cfg, mon, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(func() { require.NoError(t, s.Stop(context.Background())) })
	return "http://" + s.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test against a local server
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics") //nolint:noctx // a test against a local server
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// value returns the counter, gauge or histogram count of the series of name with the given labels.
func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "metric %s missing", name)
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no %s series with labels %v", name, labels)
	return 0
}

func TestServer_metrics_counts_events_and_findings(t *testing.T) {
	src := &feedSource{events: make(chan trace.Event)}
	agent, mon := runningAgent(t, src, 0)
	base := startServer(t, httpserver.Config{Metrics: true}, mon)
	for i := 0; i < 130; i++ {
		name := "ptrace"
		if i%2 == 1 {
			name = "openat"
		}
		src.events <- trace.Event{EventName: name}
	}
	require.Eventually(t, func() bool { return agent.Stats().Events == 130 }, 5*time.Second, time.Millisecond)

	m := scrape(t, base)
	assert.EqualValues(t, 130, value(t, m, "tracee_events_total", nil))
	assert.EqualValues(t, 65, value(t, m, "tracee_events_by_name_total", map[string]string{"event_name": "ptrace"}))
	assert.EqualValues(t, 65, value(t, m, "tracee_events_by_name_total", map[string]string{"event_name": "openat"}))
	assert.EqualValues(t, 130, value(t, m, "tracee_signatures_events_total", nil))
	assert.EqualValues(t, 65, value(t, m, "tracee_signatures_detections_total", nil))
	assert.EqualValues(t, 1, value(t, m, "tracee_signatures_total", nil))
	assert.EqualValues(t, 65, value(t, m, "tracee_findings_total",
		map[string]string{"signature_id": "TRC-102", "signature_name": "Anti-Debugging", "severity": "3"}))
	assert.EqualValues(t, 16, value(t, m, "tracee_output_queue_size", map[string]string{"output": "json"}))
	assert.EqualValues(t, 0, value(t, m, "tracee_errors_total", nil))
	assert.EqualValues(t, 2, value(t, m, "tracee_engine_dispatch_duration_seconds", nil), "130 events, one in 64 timed")
	assert.Contains(t, m, "go_goroutines", "Go runtime metrics are served too")
	assert.NotContains(t, m, "tracee_lostevents_total", "no kernel source, no kernel counters")
}

func TestServer_healthz_reports_a_stalled_pipeline(t *testing.T) {
	src := &feedSource{events: make(chan trace.Event)}
	agent, mon := runningAgent(t, src, 300*time.Millisecond)
	base := startServer(t, httpserver.Config{Healthz: true}, mon)
	src.events <- trace.Event{EventName: "openat"}
	require.Eventually(t, func() bool { return agent.Stats().Events == 1 }, 5*time.Second, time.Millisecond)

	code, body := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "OK", body)

	// The source stops producing: once the stall limit passes, healthz says why.
	require.Eventually(t, func() bool {
		code, body = get(t, base+"/healthz")
		return code == http.StatusServiceUnavailable
	}, 5*time.Second, 50*time.Millisecond)
	assert.Contains(t, body, "NOT OK: pipeline stalled: no event received for")
	assert.Contains(t, body, "(limit 300ms, 1 events since start)")

	src.events <- trace.Event{EventName: "openat"}
	require.Eventually(t, func() bool { return agent.Stats().Events == 2 }, 5*time.Second, time.Millisecond)
	code, _ = get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code, "moves again")
}

func TestServer_serves_only_what_is_enabled(t *testing.T) {
	_, mon := runningAgent(t, &feedSource{events: make(chan trace.Event)}, 0)
	base := startServer(t, httpserver.Config{Pprof: true}, mon)
	code, body := get(t, base+"/debug/pprof/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine")
	code, _ = get(t, base+"/metrics")
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = get(t, base+"/healthz")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestNew_refuses_a_server_with_nothing_to_serve(t *testing.T) {
	_, err := httpserver.New(httpserver.Config{Address: "127.0.0.1:0"}, nil, slog.New(slog.DiscardHandler))
	assert.EqualError(t, err, "http server: no endpoint enabled (metrics, healthz or pprof)")
}
