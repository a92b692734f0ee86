package replay_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// fixtureFiles are every replay fixture of the repository: the recorded live sample, the CLI's
// (Tracee v0.24.1's shape and our older C-typed JSON) and the policies' end-to-end input.
func fixtureFiles(t testing.TB) []string {
	var files []string
	for _, glob := range []string{"testdata/*.jsonl", "../../../cmd/tracee/testdata/replay/*.jsonl", "../../../policies/testdata/*.jsonl"} {
		m, err := filepath.Glob(glob)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.GreaterOrEqual(t, len(files), 4, "fixtures: %v", files)
	return files
}

func readLines(t testing.TB, path string) [][]byte {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var out [][]byte
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	require.NoError(t, sc.Err())
	return out
}

// checkSame decodes raw with Decode (fast first) and with Tracee's decoder alone, and fails
// unless both give the same event and the same error, and the source's check of an event it
// does not want gives the same error. It returns whether the fast decoder took it.
func checkSame(t testing.TB, d *replay.Decoder, raw []byte) bool {
	t.Helper()
	var want, got, fast trace.Event
	werr := d.DecodeTracee(raw, &want)
	gerr := d.Decode(raw, &got)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("errors differ on %q:\nTracee: %v\nDecode: %v", raw, werr, gerr)
	}
	name, wanted, uerr := d.DecodeUnwanted(raw)
	if (uerr == nil) != (werr == nil) || (werr != nil && werr.Error() != uerr.Error()) || wanted {
		t.Fatalf("an unwanted event is judged otherwise on %q:\nTracee: %v\nunwanted: %v (wanted %v)", raw, werr, uerr, wanted)
	}
	if werr == nil && name != want.EventName {
		t.Fatalf("an unwanted event is named %q, not %q", name, want.EventName)
	}
	took := d.DecodeFast(raw, &fast)
	if took && werr != nil {
		t.Fatalf("the fast decoder took a line Tracee's refuses (%v): %q", werr, raw)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("events differ on %q:\nTracee: %#v\nDecode: %#v", raw, want, got)
	}
	if took && !reflect.DeepEqual(want, fast) {
		t.Fatalf("fast decoder differs on %q:\nTracee: %#v\nfast:   %#v", raw, want, fast)
	}
	return took
}

// TestDecoder_fast_equals_Tracee: every line of every replay fixture, and variants of each that
// stress the JSON corners (escapes, nulls, C type names, overflow, repeated and odd-case keys),
// decode to the same event and the same error with the fast decoder as with Tracee's.
func TestDecoder_fast_equals_Tracee(t *testing.T) {
	d := replay.NewDecoder(domain.BaseEvents())
	for _, file := range fixtureFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			lines, fast := 0, 0
			for _, line := range readLines(t, file) {
				for _, v := range variants(line) {
					lines++
					if checkSame(t, d, v) {
						fast++
					}
				}
			}
			t.Logf("%d lines and variants, %d read by the fast decoder", lines, fast)
		})
	}
}

// TestDecoder_fast_reads_every_recorded_live_line: the fast path is the common path, not a
// fallback that hides behind the differential test.
func TestDecoder_fast_reads_every_recorded_live_line(t *testing.T) {
	d := replay.NewDecoder(domain.BaseEvents())
	for _, file := range fixtureFiles(t) {
		for i, line := range readLines(t, file) {
			var ev trace.Event
			if d.DecodeTracee(line, &ev) != nil {
				continue // a deliberately broken line
			}
			if !d.DecodeFast(line, &ev) {
				t.Errorf("%s:%d: the fast decoder left a valid line to Tracee's: %.200s", file, i+1, line)
			}
		}
	}
}

// variants returns line and edits of it that each take a different path through the decoders.
func variants(line []byte) [][]byte {
	s := string(line)
	edits := []func(string) string{
		func(s string) string { return s },
		func(s string) string { return strings.Replace(s, `"type":"int32"`, `"type":"int"`, 1) },
		func(s string) string { return strings.Replace(s, `"type":"string"`, `"type":"const char*"`, -1) },
		func(s string) string { return strings.Replace(s, `"type":"uint64"`, `"type":"time.Time"`, 1) },
		func(s string) string { return strings.Replace(s, `"type":"trace.Pointer"`, `"type":"void*"`, 1) },
		func(s string) string { return strings.Replace(s, `"type":"int32"`, `"type":"string"`, 1) },
		func(s string) string { return strings.Replace(s, `"type":"uint16"`, `"type":"int8"`, 1) },
		func(s string) string { return strings.Replace(s, `"type":"[]string"`, `"type":"string"`, 1) },
		func(s string) string { return strings.Replace(s, `"value":`, `"value":null,"value":`, 1) },
		func(s string) string { return strings.Replace(s, `"value":"`, `"value":"\u00e9\"\\\/\n\u0026`, 1) },
		func(s string) string { return strings.Replace(s, `"value":"`, `"value":"\ud83d\ude00`, 1) },
		func(s string) string { return strings.Replace(s, `"value":"`, "\"value\":\"\xff", 1) },
		func(s string) string { return strings.Replace(s, `"value":"`, "\"value\":\"h\xc3\xa9", 1) },
		func(s string) string { return strings.Replace(s, `"value":0`, `"value":-0`, 1) },
		func(s string) string { return strings.Replace(s, `"value":1`, `"value":1.0`, 1) },
		func(s string) string { return strings.Replace(s, `"value":1`, `"value":1e3`, 1) },
		func(s string) string { return strings.Replace(s, `"value":`, `"value":[1,"a",{"k":null}],"x":`, 1) },
		func(s string) string { return strings.Replace(s, `"value":`, `"Value":`, 1) },
		func(s string) string { return strings.Replace(s, `"eventName"`, `"EventName"`, 1) },
		func(s string) string { return strings.Replace(s, `"eventId":"`, `"eventId":"0`, 1) },
		func(s string) string { return strings.Replace(s, `"eventId":"`, `"eventId":`, 1) },
		func(s string) string {
			return strings.Replace(s, `"timestamp":`, `"timestamp":99999999999999999999`, 1)
		},
		func(s string) string { return strings.Replace(s, `"cgroupId":`, `"cgroupId":-`, 1) },
		func(s string) string {
			return strings.Replace(s, `"processName":`, `"processName":null,"processName":`, 1)
		},
		func(s string) string { return strings.Replace(s, `"stackAddresses":null`, `"stackAddresses":[1,2]`, 1) },
		func(s string) string { return strings.Replace(s, `"args":[`, `"args":null,"x":[`, 1) },
		func(s string) string { return strings.Replace(s, `"args":[`, `"args" : [ `, 1) + " \t" },
		func(s string) string {
			return strings.Replace(s, `"container":{}`, `"container":{"id":"abc","image":"x"}`, 1)
		},
		func(s string) string {
			return strings.Replace(s, `"kubernetes":{}`, `"kubernetes":{"podSandbox":true}`, 1)
		},
		func(s string) string {
			return strings.Replace(s, `"contextFlags":{`, `"metadata":{"Version":"1"},"contextFlags":{`, 1)
		},
		func(s string) string { return s + "x" },
		func(s string) string { return s[:len(s)/2] },
	}
	out := make([][]byte, 0, len(edits))
	seen := map[string]bool{}
	for _, e := range edits {
		v := e(s)
		if !seen[v] {
			seen[v] = true
			out = append(out, []byte(v))
		}
	}
	return out
}
