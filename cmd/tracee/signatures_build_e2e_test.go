package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testplugins"
)

// A tracee built with -trimpath (as releases are), used to build and load plugin modules that
// live outside the repository.
var trimmedHost struct {
	once sync.Once
	dir  string
	err  error
}

func trimpathTracee(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and plugins; skipped with -short")
	}
	trimmedHost.once.Do(func() {
		if trimmedHost.dir, trimmedHost.err = os.MkdirTemp("", "tracee-sigbuild-e2e-"); trimmedHost.err != nil {
			return
		}
		trimmedHost.err = goCmd(repoRoot(t), nil, "build", "-trimpath", "-o", filepath.Join(trimmedHost.dir, "tracee"), "./cmd/tracee")
	})
	require.NoError(t, trimmedHost.err)
	return filepath.Join(trimmedHost.dir, "tracee")
}

func goCmd(dir string, env []string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=1"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return &cmdError{args: args, err: err, out: string(out)}
	}
	return nil
}

type cmdError struct {
	args []string
	err  error
	out  string
}

func (e *cmdError) Error() string {
	return "go " + strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.out
}

func run(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %v: %v", bin, args, err)
	}
	return o.String(), e.String(), code
}

// replayLines: a read of /etc/shadow, a shell that forks and execs curl, an open in a container.
const replayLines = `{"timestamp":1700000000000000000,"threadStartTime":1,"hostProcessId":7,"hostThreadId":7,"processId":7,"threadId":7,"processName":"cat","eventId":"1005","eventName":"security_file_open","argsNum":1,"args":[{"name":"pathname","type":"string","value":"/etc/shadow"}]}
{"timestamp":1700000001000000000,"threadStartTime":1,"hostProcessId":10,"hostThreadId":10,"processId":10,"threadId":10,"hostParentProcessId":1,"processName":"bash","eventId":"715","eventName":"sched_process_exec","threadEntityId":100,"processEntityId":100,"parentEntityId":1,"argsNum":2,"args":[{"name":"pathname","type":"string","value":"/usr/bin/bash"},{"name":"argv","type":"[]string","value":["bash","-i"]}]}
{"timestamp":1700000002000000000,"threadStartTime":1,"hostProcessId":10,"hostThreadId":10,"processId":10,"threadId":10,"hostParentProcessId":1,"processName":"bash","eventId":"714","eventName":"sched_process_fork","threadEntityId":100,"processEntityId":100,"parentEntityId":1,"argsNum":1,"args":[{"name":"child_pid","type":"int32","value":11}]}
{"timestamp":1700000003000000000,"threadStartTime":2,"hostProcessId":11,"hostThreadId":11,"processId":11,"threadId":11,"hostParentProcessId":10,"processName":"curl","eventId":"715","eventName":"sched_process_exec","threadEntityId":200,"processEntityId":200,"parentEntityId":100,"argsNum":1,"args":[{"name":"pathname","type":"string","value":"/usr/bin/curl"}]}
{"timestamp":1700000004000000000,"threadStartTime":2,"hostProcessId":11,"hostThreadId":11,"processId":11,"threadId":11,"processName":"curl","containerId":"c0ffee","container":{"id":"c0ffee"},"eventId":"257","eventName":"openat","argsNum":1,"args":[{"name":"pathname","type":"string","value":"/etc/hosts"}]}
`

func TestSignaturesBuild_out_of_tree_plugins_against_a_trimpath_tracee(t *testing.T) {
	bin := trimpathTracee(t)
	work := t.TempDir()
	v024, own, old := filepath.Join(work, "v024sig"), filepath.Join(work, "ownpath"), filepath.Join(work, "oldway")
	require.NoError(t, testplugins.WriteV024Module(v024))
	require.NoError(t, testplugins.WriteOwnPathModule(own, repoRoot(t)))
	require.NoError(t, testplugins.WriteOwnPathModule(old, repoRoot(t)))
	sigs, sigs2, sigs3 := filepath.Join(work, "sigs"), filepath.Join(work, "sigs2"), filepath.Join(work, "sigs3")

	stdout, stderr, code := run(t, bin, "signatures", "build", v024, "-o", filepath.Join(sigs, "v024.so"))
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, want := range []string{"go version:  go1.", "go build:    -buildmode=plugin -trimpath",
		"github.com/aquasecurity/tracee/types@v0.0.0-20251205142631-7dc44bdb801c (plugin had " + testplugins.OldTypesVersion + ")",
		"wrote:       " + filepath.Join(sigs, "v024.so")} {
		assert.Contains(t, stdout, want)
	}

	t.Run("tracee list shows the plugin's signatures", func(t *testing.T) {
		stdout, stderr, code := run(t, bin, "list", "--signatures-dir", sigs)
		require.Equal(t, 0, code, stderr)
		assert.NotContains(t, stderr, "not loaded")
		for _, want := range []string{"oot_shadow_read", "oot_exec_from_shell", "oot_owned_container"} {
			assert.Contains(t, stdout, want)
		}
	})

	t.Run("replayed events fire them, the process tree included", func(t *testing.T) {
		events := filepath.Join(work, "events.json")
		require.NoError(t, os.WriteFile(events, []byte(replayLines), 0o644))
		stdout, stderr, code := run(t, bin, "--signatures-dir", sigs, "--replay", events, "--output", "json", "--alerts-db", "none")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, `"eventName":"oot_shadow_read"`)
		assert.Contains(t, stdout, `"eventName":"oot_exec_from_shell"`)
		assert.Contains(t, stdout, `{"name":"parent_path","type":"string","value":"/usr/bin/bash"}`)
		assert.Contains(t, stdout, `"eventName":"oot_owned_container"`)
	})

	t.Run("the v0.24 signature fires on a live event", func(t *testing.T) {
		lines := runLive(t, bin, []string{"--signatures-dir", sigs, "-e", "oot_shadow_read"}, func() {
			out, err := exec.Command("cat", "/etc/shadow").CombinedOutput()
			require.NoError(t, err, string(out))
		})
		var fired bool
		for _, l := range lines {
			if strings.Contains(l, `"eventName":"oot_shadow_read"`) && strings.Contains(l, `"processName":"cat"`) {
				fired = true
			}
		}
		assert.True(t, fired, "no oot_shadow_read finding for cat /etc/shadow: %v", lines)
	})

	t.Run("a plugin importing this module's path builds with --source and gets another plugin's data source", func(t *testing.T) {
		stdout, stderr, code := run(t, bin, "signatures", "build", own, "--source", repoRoot(t), "-o", filepath.Join(sigs2, "own.so"))
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		assert.Contains(t, stdout, "workspace:   go.work using "+own)
		stdout, stderr, code = run(t, bin, "list", "--signatures-dir", sigs, "--signatures-dir", sigs2)
		require.Equal(t, 0, code, stderr)
		assert.NotContains(t, stderr, "not loaded")
		assert.Contains(t, stdout, "own_inventory_open")
	})

	t.Run("without --source it says what is needed", func(t *testing.T) {
		_, stderr, code := run(t, bin, "signatures", "build", own, "-o", filepath.Join(work, "x.so"))
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, "requires github.com/seed-428f5ad7/tracee (this tracee's own module)")
		assert.Contains(t, stderr, "--source DIR")
	})

	t.Run("the old way (own module, replace, no go.work) is refused with the real cause", func(t *testing.T) {
		require.NoError(t, goCmd(old, []string{"GOFLAGS=-mod=mod", "GOWORK=off"},
			"build", "-buildmode=plugin", "-trimpath", "-o", filepath.Join(sigs3, "old.so"), "."))
		_, stderr, _ := run(t, bin, "list", "--signatures-dir", sigs3)
		assert.Contains(t, stderr, "the plugin takes module github.com/seed-428f5ad7/tracee from a directory")
		assert.Contains(t, stderr, "with -trimpath Go records the plugin's copy as github.com/seed-428f5ad7/tracee@version")
		assert.Contains(t, stderr, "tracee signatures build DIR --source TRACEE_SOURCE")
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{trimmedHost.dir, buildDir} { // binaries and plugins built once per run
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}
