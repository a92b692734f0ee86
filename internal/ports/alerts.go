package ports

import (
	"context"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// AlertSearcher answers questions about recorded alerts: an embedded store or Elasticsearch.
// Errors wrap domain.ErrStoreUnreachable, domain.ErrStoreUnauthorized or domain.ErrNoAlerts
// where they apply, so the command can explain them in one line.
type AlertSearcher interface {
	// Search returns one page of alerts ordered by time (q.Ascending), then by store order.
	// Pass page.Next as q.Cursor, with the same query, for the next page.
	Search(ctx context.Context, q domain.AlertQuery) (domain.AlertPage, error)
	// Count returns how many alerts match q (q.Limit and q.Cursor are ignored).
	Count(ctx context.Context, q domain.AlertQuery) (int64, error)
	// Aggregate counts matching alerts per value of field, at most size buckets, ordered by
	// domain.SortBuckets; alerts without a value are not counted.
	Aggregate(ctx context.Context, q domain.AlertQuery, field domain.AlertField, size int) ([]domain.Bucket, error)
	// Histogram counts matching alerts per interval aligned on the Unix epoch (domain.BucketStart),
	// returning only non-empty buckets in time order.
	Histogram(ctx context.Context, q domain.AlertQuery, interval time.Duration) ([]domain.TimeBucket, error)
}
