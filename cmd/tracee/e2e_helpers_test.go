package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
)

// The end-to-end tests run the real binary and real plugins, built once per test run with the
// same flags as this test binary (plugins only load into a host built the same way).
var (
	buildOnce  sync.Once
	buildDir   string
	buildErr   error
	buildTrace []byte
)

func trimpathFlag() []string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-trimpath" && s.Value == "true" {
				return []string{"-trimpath"}
			}
		}
	}
	return nil
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// builtTracee returns the path of a freshly built tracee binary with the built-in signatures
// in <bin dir>/signatures, as `make` lays them out.
func builtTracee(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and plugins; skipped with -short")
	}
	root := repoRoot(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tracee-e2e-")
		if buildErr != nil {
			return
		}
		flags := trimpathFlag()
		steps := [][]string{
			append(append([]string{"build"}, flags...), "-o", filepath.Join(buildDir, "tracee"), "./cmd/tracee"),
			append(append([]string{"build"}, flags...), "-buildmode=plugin", "-o", filepath.Join(buildDir, "signatures", "builtin.so"), "./signatures/plugin"),
		}
		for _, args := range steps {
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if buildErr = cmd.Run(); buildErr != nil {
				buildTrace = out.Bytes()
				return
			}
		}
		// Plugins next to a root-run agent must not be writable by others: the temp dir is 0700.
		buildErr = os.Chmod(buildDir, 0o755)
	})
	if buildErr != nil {
		t.Fatalf("build tracee: %v\n%s", buildErr, buildTrace)
	}
	return filepath.Join(buildDir, "tracee")
}

// runTracee runs the built binary and returns stdout, stderr and the exit code.
func runTracee(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runTraceeIn(t, builtTracee(t), "", args...)
}

// runLive starts bin live (root, BTF) with args plus a JSON output file, waits until the eBPF
// source is ready, runs act, stops the agent with SIGINT and returns the output file's lines.
func runLive(t *testing.T, bin string, args []string, act func()) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the eBPF source loads programs into the kernel")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs a kernel with BTF (/sys/kernel/btf/vmlinux)")
	}
	out := filepath.Join(t.TempDir(), "live.json")
	cmd := exec.Command(bin, append(args, "--output", "json:"+out, "--alerts-db", "none")...)
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "eBPF source ready") {
		if time.Now().After(deadline) {
			t.Fatalf("agent not ready: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	act()
	time.Sleep(500 * time.Millisecond) // the reader polls the ring every 50 ms
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("agent did not stop: %s", stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v; agent stderr: %s", err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// runTraceeIn runs bin in dir and returns stdout, stderr and the exit code.
func runTraceeIn(t *testing.T, bin, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run tracee %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}
