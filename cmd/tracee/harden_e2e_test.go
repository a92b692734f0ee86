package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigReplay writes the sample's valid lines copies times over: a replay long enough that a
// reader that goes away does so in the middle.
func bigReplay(t *testing.T, copies int) string {
	t.Helper()
	data, err := os.ReadFile(sampleEvents)
	require.NoError(t, err)
	var valid []string
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i != 3 { // line 4 is the cut-short one
			valid = append(valid, l)
		}
	}
	block := strings.Join(valid, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "big.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat(block, copies)), 0o600))
	return path
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return bytes.Count(data, []byte("\n"))
}

// `tracee --replay big.jsonl -o json -o json:ep.json | head -1` used to die of SIGPIPE (exit 141)
// with ep.json cut short: now only the stdout output closes, with one log line.
func TestReplay_closed_stdout_closes_that_output_only(t *testing.T) {
	big := bigReplay(t, 3000)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.json")
	// many findings of the same processes: the storm limit is off, the test is about a broken pipe
	_, stderr, code := runTracee(t, "--replay", big, "--finding-rate", "-1", "-o", "json:"+ref)
	require.Equal(t, 0, code, stderr)
	want := countLines(t, ref)
	require.Greater(t, want, 10000)

	ep := filepath.Join(dir, "ep.json")
	cmd := exec.Command(builtTracee(t), "--replay", big, "--finding-rate", "-1", "-o", "json", "-o", "json:"+ep)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	require.NoError(t, cmd.Start())
	first, err := bufio.NewReader(out).ReadString('\n') // head -1
	require.NoError(t, err)
	assert.Contains(t, first, "eventName")
	require.NoError(t, out.Close())
	err = cmd.Wait()
	require.NoError(t, err, "exit status (141 is death by SIGPIPE); stderr:\n%s", errBuf.String())
	assert.Equal(t, want, countLines(t, ep), "the file output got every finding")
	logs := errBuf.String()
	assert.Equal(t, 1, strings.Count(logs, "output failed and is closed"), logs)
	assert.Contains(t, logs, "broken pipe")
	assert.Regexp(t, `output_json="written=\d+ dropped=0 failed=\d+ closed"`, logs)
}

func TestReplay_dev_zero_ends_with_one_clear_line(t *testing.T) {
	_, stderr, code := runTracee(t, "--replay", "/dev/zero", "-o", "none")
	assert.Equal(t, 1, code)
	assert.Equal(t, "tracee: replay /dev/zero: line 1: binary data (NUL bytes), not JSON lines; replay stopped",
		lastLine(stderr), stderr)
}

func TestReplay_line_over_16MiB_is_skipped_without_strict(t *testing.T) {
	big := bigReplay(t, 1)
	data, err := os.ReadFile(big)
	require.NoError(t, err)
	huge := `{"eventName":"ptrace","x":"` + strings.Repeat("a", 17<<20) + "\"}\n"
	path := filepath.Join(t.TempDir(), "huge.jsonl")
	require.NoError(t, os.WriteFile(path, append([]byte(huge), data...), 0o600))
	stdout, stderr, code := runTracee(t, "--replay", path, "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, len(sampleFindings), strings.Count(stdout, "\n"), "the events after the long line are replayed")
	assert.Contains(t, stderr, "huge.jsonl:1: not a Tracee JSON event: line longer than 16777216 bytes")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// A corrupt alerts.db used to stop the agent at start ("tracee: file is not a database").
func TestRun_corrupt_alert_store_is_moved_aside_and_the_agent_runs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "alerts.db")
	require.NoError(t, os.WriteFile(db, bytes.Repeat([]byte("not sqlite"), 1000), 0o600))
	_, stderr, code := runTracee(t, "--replay", sampleEvents, "-o", "none", "--alerts-db", db)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "alert store is corrupt: moved aside, a new store started")
	assert.Contains(t, stderr, "path="+db)
	assert.Contains(t, stderr, "moved_to="+db+".corrupt-")
	assert.Contains(t, stderr, fmt.Sprintf(`alerts_db_store="recorded=%d failed=0 healed=1"`, len(sampleFindings)))
}

// A plugin whose OnEvent sleeps used to freeze all detection; the watchdog disables it after
// app.DefaultCallBound and the built-in signatures go on.
func TestReplay_a_stuck_plugin_is_disabled_and_detection_goes_on(t *testing.T) {
	stuckDir := pluginDir(t, "stuck")
	builtin := filepath.Join(filepath.Dir(builtTracee(t)), "signatures")
	stdout, stderr, code := runTracee(t, "--signatures-dir", builtin, "--signatures-dir", stuckDir,
		"--replay", sampleEvents, "-o", "json", "-e", "signatures")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, len(sampleFindings), strings.Count(stdout, "\n"), stdout)
	assert.Contains(t, stderr, "signature call did not return")
	assert.Contains(t, stderr, "signature=STUCK-1")
	assert.Contains(t, stderr, "event=ptrace")
	assert.Contains(t, stderr, "signature_abandoned=1")
}
