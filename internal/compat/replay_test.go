package compat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestReplayFixtures_print_JSON_Tracee_reads: every line of every replay fixture (Tracee v0.24.1's
// shape, and our older C-typed JSON) is decoded by the replay source, printed as `-o json` prints it,
// and read back by Tracee's own decoder with each argument's Go type and value as defined.
func TestReplayFixtures_print_JSON_Tracee_reads(t *testing.T) {
	files, _ := filepath.Glob("../../cmd/tracee/testdata/replay/*.jsonl")
	more, _ := filepath.Glob("../../policies/testdata/*.jsonl")
	files = append(files, more...)
	if len(files) < 3 {
		t.Fatalf("found only %v", files)
	}
	defs := domain.BaseEvents()
	dec := replay.NewDecoder(defs)
	check := NewChecker(defs)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			n := 0
			for sc.Scan() {
				if len(bytes.TrimSpace(sc.Bytes())) == 0 {
					continue
				}
				n++
				if !json.Valid(sc.Bytes()) {
					continue // a deliberately broken line, for the replay's error path
				}
				var ev trace.Event
				if err := dec.Decode(sc.Bytes(), &ev); err != nil {
					t.Fatalf("line %d: %v", n, err)
				}
				out, err := json.Marshal(&ev)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range check.CheckJSON(out, &ev) {
					t.Errorf("line %d: %v", n, e)
				}
			}
			if n == 0 {
				t.Fatal("no events")
			}
		})
	}
}

// TestReplay_refuses_v1beta1_in_one_line: Tracee's main-branch event shape is named, not misread.
func TestReplay_refuses_v1beta1_in_one_line(t *testing.T) {
	line := []byte(`{"timestamp":"2025-01-01T00:00:00Z","id":715,"name":"sched_process_exec","workload":{"process":{"pid":1}},"data":[]}`)
	var ev trace.Event
	err := replay.NewDecoder(domain.BaseEvents()).Decode(line, &ev)
	if err != replay.ErrV1Beta1 {
		t.Fatalf("got %v", err)
	}
}
