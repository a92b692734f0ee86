package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracee "github.com/aquasecurity/tracee/types/trace"
)

// TestOutput_destinations: Tracee's --output destinations.NAME.FIELD=VALUE syntax drives a webhook,
// a JSON file and a Go template at once; each gets every finding.
func TestOutput_destinations(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev tracee.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		posted = append(posted, ev.EventName)
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	jsonFile := filepath.Join(dir, "out.json")
	tmpl := filepath.Join(dir, "line.tmpl")
	require.NoError(t, os.WriteFile(tmpl, []byte("{{.EventName}} by {{.ProcessName}}\n"), 0o600))
	stdout, stderr, code := runTracee(t, "--replay", "testdata/replay/tracee-v0.24.1.jsonl",
		"--output", "destinations.hook.type=webhook", "--output", "destinations.hook.url="+srv.URL+"?retries=1",
		"--output", "destinations.file_out.format=json", "--output", "destinations.file_out.path="+jsonFile,
		"--output", "destinations.tmpl.format=gotemplate="+tmpl, "--output", "sort-events")
	require.Equal(t, 0, code, stderr)
	want := []string{"ld_preload", "anti_debugging", "credential_file_read"}
	assert.Equal(t, "ld_preload by evil\nanti_debugging by evil\ncredential_file_read by evil\n", stdout)
	mu.Lock()
	assert.ElementsMatch(t, want, posted)
	mu.Unlock()
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(data), "\n"))

	_, stderr, code = runTracee(t, "--replay", "testdata/replay/tracee-v0.24.1.jsonl", "--output", "destinations.f.type=forward",
		"--output", "destinations.f.url=tcp://127.0.0.1:24224")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "Fluent Forward output is not built")
}

// TestStartupErrors_keep_their_context: a failing output, file or option names which flag and path
// failed and how to fix it, not just the system error.
func TestStartupErrors_keep_their_context(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-o", "json:/nonexistent/x"}, []string{"--output json:/nonexistent/x", "/nonexistent/x", "fix: create its directory"}},
		{[]string{"-o", "elasticsearch:http://127.0.0.1:1?bogus=1"}, []string{"--output elasticsearch", "option bogus"}},
		{[]string{"--buffers", "kernel.events=many"}, []string{"--buffers", "kernel.events"}},
	}
	for _, tt := range tests {
		_, stderr, code := runTracee(t, append([]string{"--replay", sampleEvents}, tt.args...)...)
		assert.Equal(t, 1, code)
		for _, w := range tt.want {
			assert.Contains(t, stderr, w)
		}
	}
}
