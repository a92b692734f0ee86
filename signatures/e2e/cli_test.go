package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestCLI_live_findings_from_the_built_agent runs dist/tracee with the plugin from
// dist/signatures (what `make build` produces and `make test` runs first) against real actions,
// proving the whole path: plugin loader, live source, engine and JSON output.
func TestCLI_live_findings_from_the_built_agent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the agent loads eBPF programs")
	}
	bin := filepath.Join("..", "..", "dist", "tracee")
	plugin := filepath.Join("..", "..", "dist", "signatures", "builtin.so")
	for _, p := range []string{bin, plugin} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not built: run `make build` first (make test does)", p)
		}
		if olderThanSources(t, p) {
			t.Skipf("%s is older than the sources: run `make build` (make test does)", p)
		}
	}
	cmd := exec.Command(bin, "-o", "json", "-e", "anti_debugging,credential_file_read,fileless_execution")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()

	var mu sync.Mutex
	var findings []trace.Event
	var logs []string
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			logs = append(logs, sc.Text())
			mu.Unlock()
			if strings.Contains(sc.Text(), "eBPF source ready") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev trace.Event
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				mu.Lock()
				findings = append(findings, ev)
				mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the agent did not report the live source ready within 60s; its log:\n%s", strings.Join(logs, "\n"))
	}

	tests := []struct {
		event, sigID string
		act          func(t *testing.T) int
	}{
		{"anti_debugging", "TRC-102", func(t *testing.T) int { return helper(t, "ptrace-traceme") }},
		{"fileless_execution", "TRC-105", func(t *testing.T) int { return helper(t, "memfd-exec") }},
		{"credential_file_read", "EXT-001", func(t *testing.T) int { return sh(t, "cat /etc/shadow >/dev/null") }},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			root := tt.act(t)
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				mu.Lock()
				for _, f := range findings {
					if f.EventName == tt.event && (f.HostProcessID == root || f.HostParentProcessID == root) {
						mu.Unlock()
						if f.Metadata == nil || f.Metadata.Properties["signatureID"] != tt.sigID {
							t.Fatalf("finding metadata %+v, want signature %s", f.Metadata, tt.sigID)
						}
						return
					}
				}
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			var got []string
			for _, f := range findings {
				got = append(got, f.EventName)
			}
			t.Fatalf("no %s finding from pid %d in the agent's JSON output within 10s; output had %v", tt.event, root, got)
		})
	}
}
