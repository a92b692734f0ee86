package elasticsearch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSpool_segment reads an arbitrary segment file left by an earlier run: Next never fails or
// panics on its content, returns only items with an index and an ID, and each item Done removes it.
func FuzzSpool_segment(f *testing.F) {
	f.Add([]byte(`{"i":"tracee-alerts-2026.11.30","d":"a1","b":{"message":"x"}}` + "\n"))
	f.Add([]byte(`{"i":"x","d":"y","f":2,"b":{}}` + "\n" + `{"i":"x","d":"torn","b":{"a`))
	f.Add([]byte("\x00\x00\n\n{}\n[1,2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "00000000000000000001"+spoolExt), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := openSpool(dir, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		items, err := s.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		for _, it := range items {
			if it.ID == "" || it.Index == "" {
				t.Fatalf("item without index or ID: %+v", it)
			}
			s.Done(it)
		}
		if !s.Empty() {
			t.Fatal("a segment whose items are all done stays")
		}
	})
}

// FuzzRepair rewrites arbitrary rejected documents: it never panics, keeps the index and ID, and
// always produces JSON, so that a repaired document can be sent again.
func FuzzRepair(f *testing.F) {
	f.Add([]byte(`{"@timestamp":"2026-11-30T00:00:00Z","process":{"pid":"x"}}`), "mapper_parsing_exception",
		"failed to parse field [process.pid] of type [long]", 0)
	f.Add([]byte(`{"a.b":{"c":1}}`), "x", "field [a.b.c]", 3)
	f.Add([]byte(`not json`), "", "", 0)
	f.Fuzz(func(t *testing.T, body []byte, errType, reason string, fixes int) {
		if !json.Valid(body) {
			body, _ = json.Marshal(string(body))
		}
		it := &spoolItem{Index: "tracee-alerts-2026.11.30", ID: "id-1", Fixes: fixes, Body: body}
		out, ok := repair(it, errType, reason)
		if !ok {
			if fixes < strippedFixes {
				t.Fatal("a document not yet stripped must be repairable")
			}
			return
		}
		if out.Index != it.Index || out.ID != it.ID {
			t.Fatalf("repair changed where the document goes: %+v", out)
		}
		if out.Fixes <= fixes && out.Fixes != strippedFixes {
			t.Fatalf("fixes did not grow: %d -> %d", fixes, out.Fixes)
		}
		if !json.Valid(out.Body) {
			t.Fatalf("repaired body is not JSON: %s", out.Body)
		}
	})
}
