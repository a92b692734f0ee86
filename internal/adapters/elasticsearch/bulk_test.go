package elasticsearch

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipper reads Elasticsearch's answer item by item, in request order: confirmed items are
// done, failed ones come back with their status, error and their own copy of the document.
func TestBulkShipper_reports_each_item(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		answer   func(ids []string) string
		wantDone []string
		wantFail map[string]int // ID -> status reported
		wantErr  bool
	}{
		{name: "all indexed", status: 200,
			answer: func([]string) string {
				return `{"errors":false,"items":[{"index":{"status":201}},{"index":{"status":201}},{"index":{"status":200}}]}`
			},
			wantDone: []string{"id-0", "id-1", "id-2"}, wantFail: map[string]int{}},
		{name: "one rejected, one throttled", status: 200,
			answer: func([]string) string {
				return `{"errors":true,"items":[{"index":{"status":201}},` +
					`{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [destination.ip]"}}},` +
					`{"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}]}`
			},
			wantDone: []string{"id-0"}, wantFail: map[string]int{"id-1": 400, "id-2": 429}},
		{name: "whole request refused", status: 401,
			answer:   func([]string) string { return `{"error":"unauthorized"}` },
			wantFail: map[string]int{"id-0": 401, "id-1": 401, "id-2": 401}, wantErr: true},
		{name: "answers do not match the items", status: 200,
			answer:   func([]string) string { return `{"errors":true,"items":[{"index":{"status":201}}]}` },
			wantFail: map[string]int{"id-0": 0, "id-1": 0, "id-2": 0}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++
				assert.Equal(t, "/_bulk", r.URL.Path)
				var ids []string
				sc := bufio.NewScanner(r.Body)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					if line := sc.Text(); strings.HasPrefix(line, `{"index":`) {
						ids = append(ids, line)
					}
				}
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.answer(ids))
			}))
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.Addresses = []string{srv.URL}
			client, err := newClient(cfg)
			require.NoError(t, err)
			var mu sync.Mutex
			var done []string
			failed := map[string]int{}
			bodies := map[string]string{}
			ship := newBulkShipper(client, 1, 1<<20, 5*time.Second,
				func(it *spoolItem) { mu.Lock(); done = append(done, it.ID); mu.Unlock() },
				func(it *spoolItem, r bulkResult, err error) {
					mu.Lock()
					defer mu.Unlock()
					failed[it.ID] = r.Status
					bodies[it.ID] = string(it.Body)
					assert.Equal(t, tt.wantErr, err != nil, "error %v", err)
				}, releaseBody)
			for i := range 3 {
				bp := bodyPool.Get().(*[]byte)
				body := fmt.Appendf((*bp)[:0], `{"n":%d}`, i)
				ship.add(&spoolItem{Index: "idx", ID: fmt.Sprintf("id-%d", i), Body: body, pooled: bp})
			}
			require.NoError(t, ship.close(context.Background()))
			assert.Equal(t, 1, requests, "three small items: one request")
			assert.Equal(t, tt.wantDone, done)
			assert.Equal(t, tt.wantFail, failed)
			for id, b := range bodies {
				assert.Equal(t, fmt.Sprintf(`{"n":%c}`, id[len(id)-1]), b, "a failed item keeps its document")
			}
		})
	}
}

// appendBulkItem writes one action line and one document line: what _bulk reads.
func TestAppendBulkItem(t *testing.T) {
	out, start := appendBulkItem(nil, "tracee-alerts-2026.11.30", "ab\"c", []byte(`{"a":1}`))
	assert.Equal(t, "{\"index\":{\"_index\":\"tracee-alerts-2026.11.30\",\"_id\":\"ab\\\"c\"}}\n{\"a\":1}\n", string(out))
	assert.Equal(t, `{"a":1}`, string(bytes.TrimSpace(out[start:])))
}
