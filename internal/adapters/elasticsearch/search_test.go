package elasticsearch_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// searchTestCluster is a cluster named by ELASTICSEARCH_URL (scripts/test.d/30-elasticsearch.sh).
type searchTestCluster struct {
	url  *url.URL
	http *http.Client
}

func newSearchTestCluster(t testing.TB) *searchTestCluster {
	raw := os.Getenv("ELASTICSEARCH_URL")
	if raw == "" {
		t.Skip("ELASTICSEARCH_URL not set")
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return &searchTestCluster{url: u, http: &http.Client{Timeout: 2 * time.Minute}}
}

func (c *searchTestCluster) do(t testing.TB, method, path, contentType string, body []byte) []byte {
	t.Helper()
	u := *c.url
	u.Path, u.RawQuery, _ = strings.Cut(path, "?")
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	require.Less(t, res.StatusCode, 300, "%s %s: %s", method, path, data)
	return data
}

// searcher returns a searcher over a fresh prefix with the sink's index template installed; the
// indices and template are deleted when the test ends. The prefix does not start with
// tracee-alerts so that its template never overlaps one a sink test installs on the same cluster.
func (c *searchTestCluster) searcher(t testing.TB) (*elasticsearch.Searcher, string) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "searchtest-" + hex.EncodeToString(b)
	c.do(t, http.MethodPut, "/_index_template/"+elasticsearch.TemplateName(prefix), "application/json",
		elasticsearch.IndexTemplate(prefix, 0))
	t.Cleanup(func() {
		c.do(t, http.MethodDelete, "/"+elasticsearch.IndexPattern(prefix)+"?allow_no_indices=true&expand_wildcards=all", "", nil)
		c.do(t, http.MethodDelete, "/_index_template/"+elasticsearch.TemplateName(prefix), "", nil)
	})
	cfg := elasticsearch.SearchConfig{URLs: []string{c.url.Scheme + "://" + c.url.Host}, IndexPrefix: prefix}
	if c.url.User != nil {
		cfg.Username = c.url.User.Username()
		cfg.Password, _ = c.url.User.Password()
	}
	s, err := elasticsearch.NewSearcher(cfg)
	require.NoError(t, err)
	return s, prefix
}

// index writes events as the sink does (its document, index and ID), then refreshes.
func (c *searchTestCluster) index(t testing.TB, prefix string, evs []*trace.Event) {
	const chunk = 5000
	for start := 0; start < len(evs); start += chunk {
		var buf bytes.Buffer
		for _, ev := range evs[start:min(start+chunk, len(evs))] {
			doc := elasticsearch.NewDocument(ev, time.Now())
			meta, _ := json.Marshal(map[string]any{"index": map[string]any{
				"_index": elasticsearch.IndexName(prefix, doc.Timestamp), "_id": doc.Event.ID}})
			src, err := json.Marshal(doc)
			require.NoError(t, err)
			buf.Write(meta)
			buf.WriteByte('\n')
			buf.Write(src)
			buf.WriteByte('\n')
		}
		res := c.do(t, http.MethodPost, "/_bulk", "application/x-ndjson", buf.Bytes())
		var r struct {
			Errors bool `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(res, &r))
		require.False(t, r.Errors, "bulk errors: %.500s", res)
	}
	c.do(t, http.MethodPost, "/"+elasticsearch.IndexPattern(prefix)+"/_refresh", "", nil)
}

type searchTestStore struct {
	*elasticsearch.Searcher
	c      *searchTestCluster
	prefix string
}

func (s searchTestStore) Add(t *testing.T, evs []*trace.Event) { s.c.index(t, s.prefix, evs) }

func TestSearcher_contract(t *testing.T) {
	c := newSearchTestCluster(t)
	alertstest.Run(t, func(t *testing.T) alertstest.Store {
		s, prefix := c.searcher(t)
		return searchTestStore{Searcher: s, c: c, prefix: prefix}
	})
}

func TestSearcher_missing_index_is_one_clear_error(t *testing.T) {
	c := newSearchTestCluster(t)
	s, _ := c.searcher(t)
	for name, call := range map[string]func() error{
		"search": func() error { _, err := s.Search(context.Background(), domain.AlertQuery{}); return err },
		"count":  func() error { _, err := s.Count(context.Background(), domain.AlertQuery{}); return err },
		"by": func() error {
			_, err := s.Aggregate(context.Background(), domain.AlertQuery{}, domain.FieldHost, 5)
			return err
		},
		"histogram": func() error {
			_, err := s.Histogram(context.Background(), domain.AlertQuery{}, time.Hour)
			return err
		},
	} {
		err := call()
		require.ErrorIs(t, err, domain.ErrNoAlerts, name)
		require.NotContains(t, err.Error(), "\n", name)
	}
}

func TestSearcher_credentials_on_a_secured_cluster(t *testing.T) {
	raw := os.Getenv("ELASTICSEARCH_SECURE_URL")
	if raw == "" {
		t.Skip("ELASTICSEARCH_SECURE_URL not set")
	}
	user, password := os.Getenv("ELASTICSEARCH_SECURE_USER"), os.Getenv("ELASTICSEARCH_SECURE_PASSWORD")
	tests := []struct {
		name, user, password string
		want                 error
	}{
		{"no credentials", "", "", domain.ErrStoreUnauthorized},
		{"wrong password", user, password + "-wrong", domain.ErrStoreUnauthorized},
		// authenticated: the cluster answers, and holds no index of this prefix
		{"right password", user, password, domain.ErrNoAlerts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := elasticsearch.NewSearcher(elasticsearch.SearchConfig{URLs: []string{raw}, Username: tt.user,
				Password: tt.password, IndexPrefix: "searchtest-none"})
			require.NoError(t, err)
			_, err = s.Count(context.Background(), domain.AlertQuery{})
			require.ErrorIs(t, err, tt.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}
