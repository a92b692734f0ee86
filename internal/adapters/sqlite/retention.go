package sqlite

import (
	"context"
	"time"
)

// retentionChunk bounds one delete, so that readers and the next batch are not held up for long.
const retentionChunk = 5000

// retain deletes alerts older than MaxAge, then the oldest alerts while the database holds more
// than MaxBytes, and returns freed pages to the file system.
func (w *writer) retain(ctx context.Context, now time.Time) {
	cutoff := now.Add(-w.s.cfg.MaxAge).UnixNano()
	deleted := int64(0)
	for ctx.Err() == nil {
		n, err := w.deleteChunk(ctx, "SELECT id FROM alerts WHERE ts < ? ORDER BY ts LIMIT ?", cutoff, retentionChunk)
		if err != nil {
			w.s.log.Error("retention by age failed", "error", err)
			return
		}
		deleted += n
		if n < retentionChunk {
			break
		}
	}
	for ctx.Err() == nil {
		used, err := w.usedBytes(ctx)
		if err != nil {
			w.s.log.Error("retention by size failed", "error", err)
			return
		}
		if used <= w.s.cfg.MaxBytes {
			break
		}
		// delete a tenth of the alerts at a time, at least one chunk
		var count int64
		if err := w.s.db.QueryRowContext(ctx, "SELECT count(*) FROM alerts").Scan(&count); err != nil || count == 0 {
			break
		}
		n, err := w.deleteChunk(ctx, "SELECT id FROM alerts ORDER BY ts LIMIT ?", max(count/10, retentionChunk))
		if err != nil {
			w.s.log.Error("retention by size failed", "error", err)
			return
		}
		deleted += n
		if _, err := w.s.db.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
			w.s.log.Error("incremental vacuum failed", "error", err)
			return
		}
		if n == 0 {
			break
		}
	}
	if deleted > 0 {
		w.deleted.Add(uint64(deleted))
		if _, err := w.s.db.ExecContext(ctx, "DELETE FROM alert_counts WHERE n <= 0"); err != nil {
			w.s.log.Error("pruning hourly counts failed", "error", err)
		}
		if _, err := w.s.db.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
			w.s.log.Error("incremental vacuum failed", "error", err)
		}
		w.s.log.Info("old alerts deleted", "count", deleted)
	}
}

func (w *writer) deleteChunk(ctx context.Context, selectIDs string, args ...any) (int64, error) {
	res, err := w.s.db.ExecContext(ctx, "DELETE FROM alerts WHERE id IN ("+selectIDs+")", args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// usedBytes is the size of the database pages in use (free pages are not counted).
func (w *writer) usedBytes(ctx context.Context) (int64, error) {
	var pages, free, size int64
	db := w.s.db
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, err
	}
	return (pages - free) * size, nil
}
