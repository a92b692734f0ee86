package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServer_replay_from_stdin_serves_metrics_and_healthz keeps a replay running by feeding it on
// stdin, scrapes /metrics and /healthz while it runs, then ends it by closing stdin.
func TestServer_replay_from_stdin_serves_metrics_and_healthz(t *testing.T) {
	cmd := exec.Command(builtTracee(t), "--replay", "-", "--output", "none",
		"--server", "metrics", "--server", "healthz", "--server", "http-address=127.0.0.1:0")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	var logMu sync.Mutex
	var logs strings.Builder
	addrCh := make(chan string, 1)
	listening := regexp.MustCompile(`msg="http server listening".* address=(\S+)`)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
	}()
	stderrText := func() string { logMu.Lock(); defer logMu.Unlock(); return logs.String() }
	var base string
	select {
	case addr := <-addrCh:
		base = "http://" + addr
	case <-time.After(60 * time.Second):
		t.Fatalf("no listening address logged:\n%s", stderrText())
	}

	sample, err := os.ReadFile(sampleEvents)
	require.NoError(t, err)
	_, err = stdin.Write(sample)
	require.NoError(t, err)

	var families map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		families = scrapeMetrics(t, base)
		f := families["tracee_events_total"]
		return f != nil && f.GetMetric()[0].GetCounter().GetValue() == 7
	}, 30*time.Second, 100*time.Millisecond, "the sample's seven valid events are counted")
	assert.EqualValues(t, 4, sumCounter(families["tracee_signatures_detections_total"], nil))
	assert.EqualValues(t, 2, sumCounter(families["tracee_findings_total"], map[string]string{"signature_id": "TRC-107"}))
	assert.EqualValues(t, 1, sumCounter(families["tracee_findings_total"], map[string]string{"signature_id": "TRC-102"}))
	assert.Positive(t, sumCounter(families["tracee_events_by_name_total"], map[string]string{"event_name": "sched_process_exec"}))

	resp, err := http.Get(base + "/healthz") //nolint:noctx // a test against a local server
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "OK", string(body))

	require.NoError(t, stdin.Close())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, stderrText())
	case <-time.After(60 * time.Second):
		t.Fatalf("tracee did not exit at the end of stdin:\n%s", stderrText())
	}
	assert.Equal(t, 1, strings.Count(stderrText(), "http server listening"), "the address is logged once")
}

func TestServer_refuses_grpc_with_the_reason(t *testing.T) {
	_, stderr, code := runTracee(t, "--replay", sampleEvents, "--server", "grpc-address=tcp:4466")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--server grpc-address: not supported")
}

func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics") //nolint:noctx // a test against a local server
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// sumCounter adds the counters of f whose labels include want.
func sumCounter(f *dto.MetricFamily, want map[string]string) float64 {
	var sum float64
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if match {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
