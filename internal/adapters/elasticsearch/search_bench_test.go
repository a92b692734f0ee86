package elasticsearch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// searchBenchPrefix holds the benchmark's alerts; they are kept for later runs.
const searchBenchPrefix = "searchbench"

// BenchmarkSearcher_1M searches 1,000,000 alerts in the sink's layout (daily indices, its template
// and documents), loaded once by _bulk and reused while they are recent enough:
//
//	ELASTICSEARCH_URL=http://127.0.0.1:9200 go test -run '^$' -bench Searcher_1M -benchtime 20x ./internal/adapters/elasticsearch/
func BenchmarkSearcher_1M(b *testing.B) {
	c := newSearchTestCluster(b)
	ctx := context.Background()
	cfg := elasticsearch.SearchConfig{URLs: []string{c.url.Scheme + "://" + c.url.Host}, IndexPrefix: searchBenchPrefix}
	if c.url.User != nil {
		cfg.Username = c.url.User.Username()
		cfg.Password, _ = c.url.User.Password()
	}
	s, err := elasticsearch.NewSearcher(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var start time.Time
	if n, err := s.Count(ctx, domain.AlertQuery{}); err == nil && n == alertstest.BenchSize {
		page, err := s.Search(ctx, domain.AlertQuery{Ascending: true, Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		start = page.Alerts[0].Time
	}
	if start.IsZero() || time.Since(start) > 25*24*time.Hour {
		start = alertstest.BenchStart()
		c.do(b, http.MethodDelete, "/"+elasticsearch.IndexPattern(searchBenchPrefix)+"?allow_no_indices=true", "", nil)
		c.do(b, http.MethodPut, "/_index_template/"+elasticsearch.TemplateName(searchBenchPrefix), "application/json",
			elasticsearch.IndexTemplate(searchBenchPrefix, 0))
		t0 := time.Now()
		const chunk = 5000
		var buf bytes.Buffer
		for i := range alertstest.BenchSize {
			doc := elasticsearch.NewDocument(alertstest.EventAt(start, i, alertstest.BenchStep), t0)
			meta, _ := json.Marshal(map[string]any{"index": map[string]any{
				"_index": elasticsearch.IndexName(searchBenchPrefix, doc.Timestamp), "_id": doc.Event.ID}})
			src, _ := json.Marshal(doc)
			buf.Write(meta)
			buf.WriteByte('\n')
			buf.Write(src)
			buf.WriteByte('\n')
			if (i+1)%chunk == 0 || i == alertstest.BenchSize-1 {
				res := c.do(b, http.MethodPost, "/_bulk?filter_path=errors", "application/x-ndjson", buf.Bytes())
				if bytes.Contains(res, []byte(`"errors":true`)) {
					b.Fatalf("bulk errors: %.500s", res)
				}
				buf.Reset()
			}
		}
		c.do(b, http.MethodPost, "/"+elasticsearch.IndexPattern(searchBenchPrefix)+"/_refresh", "", nil)
		b.Logf("loaded %d alerts in %s (%.0f/s)", alertstest.BenchSize, time.Since(t0),
			float64(alertstest.BenchSize)/time.Since(t0).Seconds())
	}
	alertstest.Bench(b, s, start)
}
