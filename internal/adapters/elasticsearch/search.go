package elasticsearch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/redact"
)

// Page sizes of Searcher.Search; Elasticsearch refuses from+size beyond 10,000, so larger results
// are paged with search_after over a point in time.
const (
	SearchDefaultPageSize = 100
	SearchMaxPageSize     = 10000
)

// SearchConfig says where the alerts are and how to authenticate.
type SearchConfig struct {
	URLs     []string // default http://127.0.0.1:9200
	Username string
	Password string
	APIKey   string // base64 "id:key"; overrides Username/Password
	// CAFile is a PEM bundle of CAs to trust for https:// URLs (default: the system's).
	CAFile string
	// IndexPrefix is the sink's prefix; the searcher reads PREFIX-* (default DefaultIndexPrefix).
	IndexPrefix string
	// KeepAlive is how long a point in time lives between two pages (default 2m).
	KeepAlive time.Duration
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// Searcher is the ports.AlertSearcher over the sink's daily indices.
type Searcher struct {
	cfg    SearchConfig
	client *es.Client
	index  string
	url    string
}

// NewSearcher makes a searcher; it does not contact the cluster.
func NewSearcher(cfg SearchConfig) (*Searcher, error) {
	if len(cfg.URLs) == 0 {
		cfg.URLs = []string{"http://127.0.0.1:9200"}
	}
	if cfg.IndexPrefix == "" {
		cfg.IndexPrefix = DefaultIndexPrefix
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 2 * time.Minute
	}
	shown := make([]string, len(cfg.URLs)) // URLs as errors show them: never with user:password@
	for i, u := range cfg.URLs {
		shown[i] = redact.URL(u)
	}
	url := strings.Join(shown, ",")
	if cfg.Transport == nil && cfg.CAFile != "" {
		tlsCfg, err := tlsConfig(Config{CAFile: cfg.CAFile})
		if err != nil {
			return nil, err
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		cfg.Transport = tr
	}
	c, err := es.NewClient(es.Config{
		Addresses: cfg.URLs, Username: cfg.Username, Password: cfg.Password, APIKey: cfg.APIKey,
		Transport: cfg.Transport, MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("elasticsearch %s: %w", url, redactError(err, cfg))
	}
	return &Searcher{cfg: cfg, client: c, index: IndexPattern(cfg.IndexPrefix), url: url}, nil
}

// redactError removes the configured secrets from an error's text (a client error may quote them).
func redactError(err error, cfg SearchConfig) error {
	msg := err.Error()
	for _, secret := range []string{cfg.Password, cfg.APIKey} {
		if len(secret) >= 3 && strings.Contains(msg, secret) {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// ReadSecretFile reads a password or API key from a file (trimmed; an empty file is an error).
func ReadSecretFile(path string) (string, error) { return secretFile(path) }

// searchCursor is what AlertPage.Next carries: the point in time and the sort values of the last hit.
type searchCursor struct {
	PIT   string            `json:"p"`
	After []json.RawMessage `json:"a"`
}

// Search returns one page, newest first unless q.Ascending. The first page is a plain search; when
// it is full, a point in time is opened so that the following pages see the same alerts.
func (s *Searcher) Search(ctx context.Context, q domain.AlertQuery) (domain.AlertPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = SearchDefaultPageSize
	}
	limit = min(limit, SearchMaxPageSize)
	order := "desc"
	if q.Ascending {
		order = "asc"
	}
	body := map[string]any{
		"size":             limit,
		"query":            s.searchQuery(q),
		"sort":             []any{map[string]any{FieldTimestamp: order}, map[string]any{"event.id": order}},
		"track_total_hits": false,
	}
	var cur searchCursor
	path := s.searchPath(q)
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err == nil {
			err = json.Unmarshal(raw, &cur)
		}
		if err != nil || cur.PIT == "" || len(cur.After) == 0 {
			return domain.AlertPage{}, fmt.Errorf("%w: not a cursor of this store", domain.ErrBadCursor)
		}
		body["pit"] = map[string]any{"id": cur.PIT, "keep_alive": searchKeepAlive(s.cfg.KeepAlive)}
		body["search_after"] = cur.After
		path = "/_search" // the point in time names the indices
	}
	var res struct {
		searchShards
		PITID string `json:"pit_id"`
		Hits  struct {
			Hits []struct {
				Index  string            `json:"_index"`
				ID     string            `json:"_id"`
				Source searchSource      `json:"_source"`
				Sort   []json.RawMessage `json:"sort"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := s.searchDo(ctx, http.MethodPost, path, body, &res); err != nil {
		if cur.PIT != "" && errors.Is(err, errSearchNotFound) {
			return domain.AlertPage{}, fmt.Errorf("%w: the point in time expired (more than %s between pages)", domain.ErrBadCursor, s.cfg.KeepAlive)
		}
		return domain.AlertPage{}, err
	}
	if err := res.check(s.index); err != nil {
		return domain.AlertPage{}, err
	}
	page := domain.AlertPage{Alerts: make([]domain.Alert, 0, len(res.Hits.Hits))}
	for _, h := range res.Hits.Hits {
		a := h.Source.alert()
		a.ID = h.Index + "/" + h.ID
		page.Alerts = append(page.Alerts, a)
	}
	pit := cur.PIT
	if res.PITID != "" {
		pit = res.PITID
	}
	if len(res.Hits.Hits) < limit {
		if pit != "" {
			s.searchClosePIT(ctx, pit)
		}
		return page, nil
	}
	if pit == "" {
		var err error
		if pit, err = s.searchOpenPIT(ctx); err != nil {
			return domain.AlertPage{}, err
		}
	}
	next, _ := json.Marshal(searchCursor{PIT: pit, After: res.Hits.Hits[len(res.Hits.Hits)-1].Sort})
	page.Next = base64.RawURLEncoding.EncodeToString(next)
	return page, nil
}

// searchPath is the _search path of q over the daily indices. With a time window, every shard is
// first asked whether it can match at all, so the days outside the window are skipped cheaply.
func (s *Searcher) searchPath(q domain.AlertQuery) string {
	if q.Since.IsZero() && q.Until.IsZero() {
		return "/" + s.index + "/_search"
	}
	return "/" + s.index + "/_search?pre_filter_shard_size=1"
}

func searchKeepAlive(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }

func (s *Searcher) searchOpenPIT(ctx context.Context) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	path := "/" + s.index + "/_pit?keep_alive=" + searchKeepAlive(s.cfg.KeepAlive)
	if err := s.searchDo(ctx, http.MethodPost, path, nil, &res); err != nil {
		return "", err
	}
	return res.ID, nil
}

// searchClosePIT frees the point in time; if that fails it expires after KeepAlive anyway.
func (s *Searcher) searchClosePIT(ctx context.Context, id string) {
	_ = s.searchDo(ctx, http.MethodDelete, "/_pit", map[string]any{"id": id}, nil)
}

// Count returns the number of matching alerts.
func (s *Searcher) Count(ctx context.Context, q domain.AlertQuery) (int64, error) {
	var res struct {
		searchShards
		Count int64 `json:"count"`
	}
	if err := s.searchDo(ctx, http.MethodPost, "/"+s.index+"/_count", map[string]any{"query": s.searchQuery(q)}, &res); err != nil {
		return 0, err
	}
	return res.Count, res.check(s.index)
}

// searchAggFields are the keyword fields behind --by.
var searchAggFields = map[domain.AlertField]string{
	domain.FieldRule:      FieldRuleID,
	domain.FieldHost:      FieldHostName,
	domain.FieldTechnique: FieldTraceeAttackID, // the ID as declared: T1574.006 stays itself
	domain.FieldContainer: FieldContainerID,
	domain.FieldProcess:   FieldProcessName,
}

// Aggregate counts matching alerts per value of field with a terms aggregation.
func (s *Searcher) Aggregate(ctx context.Context, q domain.AlertQuery, field domain.AlertField, size int) ([]domain.Bucket, error) {
	f, ok := searchAggFields[field]
	if !ok {
		return nil, fmt.Errorf("cannot group by %q", field)
	}
	if size <= 0 {
		size = 10
	}
	body := map[string]any{
		"size":  0,
		"query": s.searchQuery(q),
		"aggs": map[string]any{"by": map[string]any{"terms": map[string]any{
			"field": f, "size": size + 1, // one more, in case "" is among them
			// every daily index has one shard; a generous shard_size keeps the counts exact
			"shard_size": max(10*size, 1000),
			"order":      []any{map[string]any{"_count": "desc"}, map[string]any{"_key": "asc"}},
		}}},
	}
	var res struct {
		searchShards
		Aggregations struct {
			By struct {
				Buckets []struct {
					Key   string `json:"key"`
					Count int64  `json:"doc_count"`
				} `json:"buckets"`
			} `json:"by"`
		} `json:"aggregations"`
	}
	if err := s.searchDo(ctx, http.MethodPost, s.searchPath(q), body, &res); err != nil {
		return nil, err
	}
	if err := res.check(s.index); err != nil {
		return nil, err
	}
	var out []domain.Bucket
	for _, b := range res.Aggregations.By.Buckets {
		if b.Key != "" && len(out) < size {
			out = append(out, domain.Bucket{Key: b.Key, Count: b.Count})
		}
	}
	return out, nil
}

// Histogram counts matching alerts per interval with a date_histogram aligned on the epoch.
func (s *Searcher) Histogram(ctx context.Context, q domain.AlertQuery, interval time.Duration) ([]domain.TimeBucket, error) {
	if interval < time.Millisecond {
		return nil, fmt.Errorf("histogram interval must be at least 1ms, got %s", interval)
	}
	body := map[string]any{
		"size":  0,
		"query": s.searchQuery(q),
		"aggs": map[string]any{"over_time": map[string]any{"date_histogram": map[string]any{
			"field": FieldTimestamp, "fixed_interval": strconv.FormatInt(interval.Milliseconds(), 10) + "ms",
			"min_doc_count": 1,
		}}},
	}
	var res struct {
		searchShards
		Aggregations struct {
			OverTime struct {
				Buckets []struct {
					Key   int64 `json:"key"`
					Count int64 `json:"doc_count"`
				} `json:"buckets"`
			} `json:"over_time"`
		} `json:"aggregations"`
	}
	if err := s.searchDo(ctx, http.MethodPost, s.searchPath(q), body, &res); err != nil {
		return nil, err
	}
	if err := res.check(s.index); err != nil {
		return nil, err
	}
	out := make([]domain.TimeBucket, 0, len(res.Aggregations.OverTime.Buckets))
	for _, b := range res.Aggregations.OverTime.Buckets {
		out = append(out, domain.TimeBucket{Start: time.UnixMilli(b.Key).UTC(), Count: b.Count})
	}
	return out, nil
}

// searchShards is the _shards part of a response: no shard at all means no index matched.
type searchShards struct {
	Shards struct {
		Total int `json:"total"`
	} `json:"_shards"`
}

func (r searchShards) check(index string) error {
	if r.Shards.Total == 0 {
		return fmt.Errorf("%w: no index matches %s", domain.ErrNoAlerts, index)
	}
	return nil
}
