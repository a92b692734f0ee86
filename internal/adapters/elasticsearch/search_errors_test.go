package elasticsearch_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

func TestSearcher_errors_are_one_line(t *testing.T) {
	// a port nothing listens on
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	answer := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name string
		url  string
		want error
		text string
	}{
		{"unreachable", closed, domain.ErrStoreUnreachable, "cannot reach Elasticsearch at " + closed},
		{"bad credentials", answer(401, `{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}`),
			domain.ErrStoreUnauthorized, "check the user name and password"},
		{"missing index", answer(404, `{"error":{"type":"index_not_found_exception","reason":"no such index [tracee-alerts-x]"},"status":404}`),
			domain.ErrNoAlerts, "has no index tracee-alerts-*"},
		{"no index matches the pattern", answer(200, `{"_shards":{"total":0},"hits":{"hits":[]}}`),
			domain.ErrNoAlerts, "no index matches tracee-alerts-*"},
		{"other", answer(400, `{"error":{"type":"parse_exception","reason":"bad query","root_cause":[{"type":"parse_exception","reason":"bad query"}]}}`),
			nil, "400 parse_exception: bad query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := elasticsearch.NewSearcher(elasticsearch.SearchConfig{URLs: []string{tt.url}})
			require.NoError(t, err)
			_, err = s.Search(context.Background(), domain.AlertQuery{})
			require.Error(t, err)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Contains(t, err.Error(), tt.text)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}
