package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

const sampleEvents = "testdata/replay/sample.jsonl"

// The sample holds seven valid events and one cut-short line: a PTRACE_TRACEME, an exec from a
// memfd, an exec with LD_PRELOAD and a write-open of /etc/ld.so.preload, among benign events.
var sampleFindings = []struct{ event, sigID, process string }{
	{"anti_debugging", "TRC-102", "evil"},
	{"fileless_execution", "TRC-105", "3"},
	{"ld_preload", "TRC-107", "id"},
	{"ld_preload", "TRC-107", "tee"},
}

func TestReplay_sample_as_json(t *testing.T) {
	stdout, stderr, code := runTracee(t, "--replay", sampleEvents, "--output", "json")
	require.Equal(t, 0, code, stderr)
	var got []trace.Event
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev trace.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), sc.Text())
		got = append(got, ev)
	}
	require.Len(t, got, len(sampleFindings), stdout)
	for i, want := range sampleFindings {
		assert.Equal(t, want.event, got[i].EventName)
		assert.Equal(t, want.process, got[i].ProcessName)
		require.NotNil(t, got[i].Metadata)
		assert.Equal(t, want.sigID, got[i].Metadata.Properties["signatureID"])
		assert.GreaterOrEqual(t, got[i].EventID, 6000)
		assert.Equal(t, "detectedFrom", got[i].Args[len(got[i].Args)-1].Name)
	}
	assert.Contains(t, stderr, "sample.jsonl:4: not a Tracee JSON event", "the malformed line is named by number")
}

func TestReplay_sample_as_table(t *testing.T) {
	stdout, stderr, code := runTracee(t, "--replay", sampleEvents)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 1+len(sampleFindings), stdout)
	assert.True(t, strings.HasPrefix(lines[0], "TIME"), lines[0])
	for i, want := range sampleFindings {
		assert.Contains(t, lines[i+1], "*"+want.event+"* ["+want.sigID)
	}
}

func TestReplay_strict_stops_at_malformed_line(t *testing.T) {
	_, stderr, code := runTracee(t, "--replay", sampleEvents, "--strict")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "sample.jsonl:4: not a Tracee JSON event")
}

func TestReplay_replaying_our_json_output_reproduces_the_findings(t *testing.T) {
	// Base events printed with -e are the input of a later replay; the recorded findings in that
	// output are not inputs, so the second run finds exactly the same, once.
	recorded := filepath.Join(t.TempDir(), "recorded.jsonl")
	_, stderr, code := runTracee(t, "--replay", sampleEvents, "-o", "json:"+recorded, "-e", "ptrace,sched_process_exec,security_file_open,signatures")
	require.Equal(t, 0, code, stderr)
	data, err := os.ReadFile(recorded)
	require.NoError(t, err)
	assert.Equal(t, 7+len(sampleFindings), strings.Count(string(data), "\n"), "seven base events and the findings")

	first, _, _ := runTracee(t, "--replay", sampleEvents, "-o", "json")
	again, stderr, code := runTracee(t, "--replay", recorded, "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, first, again)
}

func TestRun_unknown_event_suggests(t *testing.T) {
	_, stderr, code := runTracee(t, "--replay", sampleEvents, "-e", "anti_debuging")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown event or set "anti_debuging"; did you mean anti_debugging?`)
}

// TestReplay_Tracee_v0_24_1_output: JSON in the shape Tracee v0.24.1's `-o json` prints (Go type
// names, v0.24.1 IDs, time.Time fork arguments, SockAddr maps) replays with no error line, and the
// built-in signatures fire on it; every printed finding is read by Tracee's own decoder (the
// published module's trace.Event, which is what types/trace aliases).
func TestReplay_Tracee_v0_24_1_output(t *testing.T) {
	stdout, stderr, code := runTracee(t, "--replay", "testdata/replay/tracee-v0.24.1.jsonl", "--output", "json")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "not a Tracee JSON event")
	var got []string
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev trace.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), sc.Text())
		got = append(got, ev.Metadata.Properties["signatureID"].(string))
	}
	assert.ElementsMatch(t, []string{"TRC-107", "TRC-102", "EXT-001"}, got, stdout)
}

// TestRun_events_filters_and_scope: -e takes Tracee's filter syntax (data, retval, scope, threat,
// exclusions) and --scope narrows where events come from, as Tracee's events and scope pages say.
func TestRun_events_filters_and_scope(t *testing.T) {
	const fixture = "testdata/replay/tracee-v0.24.1.jsonl"
	tests := []struct {
		name string
		args []string
		want []string // event names printed, in order
	}{
		{"data filter", []string{"-e", "openat.data.pathname=/etc/*"}, []string{"openat"}},
		{"data filter misses", []string{"-e", "openat.data.pathname=/tmp/*"}, nil},
		{"retval", []string{"-e", "openat.retval>=3"}, []string{"openat"}},
		{"scope field on the event", []string{"-e", "openat.scope.comm=bash"}, nil},
		{"threat severity", []string{"-e", "threat.severity>=medium"}, []string{"ld_preload", "credential_file_read"}},
		{"exclusion", []string{"-e", "threat.severity>=medium", "-e", "-ld_preload"}, []string{"credential_file_read"}},
		{"scope", []string{"-e", "openat,ptrace", "--scope", "comm=evil", "-s", "uid>=1000"}, []string{"ptrace", "openat"}},
		{"scope misses", []string{"-e", "openat,ptrace", "--scope", "uid=0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runTracee(t, append([]string{"--replay", fixture, "--output", "json"}, tt.args...)...)
			require.Equal(t, 0, code, stderr)
			var got []string
			sc := bufio.NewScanner(strings.NewReader(stdout))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var ev trace.Event
				require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), sc.Text())
				got = append(got, ev.EventName)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
