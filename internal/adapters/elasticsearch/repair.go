package elasticsearch

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// maxFixes bounds how many fields of one document are moved before it is stripped to its core.
const maxFixes = 4

// strippedFixes marks a document already stripped to its core fields.
const strippedFixes = 99

var failedFieldRe = regexp.MustCompile(`field \[([^\]]+)\]`)

// coreFields survive stripping: ours, always well typed.
var coreFields = []string{"@timestamp", "message", "ecs", "event", "rule", "threat", "host", "tags"}

// repair rewrites a document the mapping rejected: the field named in the error moves to
// tracee.rejected as text. When no field can be named, or too many were moved, the document
// is cut down to its core fields with the full original as text. It returns false when the
// document was stripped already (nothing left to try).
func repair(it *spoolItem, errType, reason string) (*spoolItem, bool) {
	if it.Fixes >= strippedFixes {
		return nil, false
	}
	var doc map[string]interface{}
	dec := json.NewDecoder(bytes.NewReader(it.Body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return strip(it, nil, errType+": "+reason), true
	}
	why := strings.TrimSpace(errType + ": " + reason)
	if it.Fixes < maxFixes {
		if m := failedFieldRe.FindStringSubmatch(reason); m != nil {
			if v, ok := removePath(doc, m[1]); ok {
				raw, _ := json.Marshal(v)
				addRejected(doc, Rejected{Field: m[1], Value: truncate(string(raw)), Reason: truncateN(why, 1024)})
				body, err := json.Marshal(doc)
				if err == nil {
					return &spoolItem{Index: it.Index, ID: it.ID, Fixes: it.Fixes + 1, Body: body}, true
				}
			}
		}
	}
	return strip(it, doc, why), true
}

// strip keeps the core fields and puts the whole original document under tracee.rejected.
func strip(it *spoolItem, doc map[string]interface{}, why string) *spoolItem {
	out := map[string]interface{}{}
	for _, k := range coreFields {
		if v, ok := doc[k]; ok {
			out[k] = v
		}
	}
	if _, ok := out["@timestamp"]; !ok {
		out["@timestamp"] = time.Now().UTC()
	}
	out["tracee"] = map[string]interface{}{"rejected": []Rejected{{Field: "*", Value: truncate(string(it.Body)),
		Reason: truncateN(why, 1024)}}}
	body, _ := json.Marshal(out)
	return &spoolItem{Index: it.Index, ID: it.ID, Fixes: strippedFixes, Body: body}
}

// removePath deletes a dotted field from decoded JSON and returns its value. Keys may
// themselves contain dots, so every split is tried.
func removePath(m map[string]interface{}, path string) (interface{}, bool) {
	if v, ok := m[path]; ok {
		delete(m, path)
		return v, true
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		if sub, ok := m[path[:i]].(map[string]interface{}); ok {
			if v, ok := removePath(sub, path[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

func addRejected(doc map[string]interface{}, r Rejected) {
	tr, ok := doc["tracee"].(map[string]interface{})
	if !ok {
		tr = map[string]interface{}{}
		doc["tracee"] = tr
	}
	list, _ := tr["rejected"].([]interface{})
	tr["rejected"] = append(list, r)
}

// deadLetter keeps a document Elasticsearch refused even stripped, in rejected.ndjson next to
// the spool, and says so loudly.
func (s *Sink) deadLetter(it *spoolItem, why string) {
	s.dead.Add(1)
	path := filepath.Join(s.cfg.SpoolDir, "rejected.ndjson")
	s.deadMu.Lock()
	defer s.deadMu.Unlock()
	line, _ := json.Marshal(struct {
		*spoolItem
		Reason string `json:"reason"`
	}{it, why})
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.log.Error("Elasticsearch refused an alert and it could not be kept on disk", "id", it.ID,
			"reason", why, "error", err, "document", string(it.Body))
		return
	}
	s.log.Error("Elasticsearch refused an alert even without its extra fields; kept on disk", "id", it.ID,
		"reason", why, "file", path)
}
