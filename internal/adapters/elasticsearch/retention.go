package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// DeleteOldIndices deletes the daily indices of the sink's prefix whose day is more than
// RetentionDays before now (UTC) and returns their names. Only names that parse as
// PREFIX-YYYY.MM.DD are considered; anything else under the prefix is left alone.
func (s *Sink) DeleteOldIndices(ctx context.Context, now time.Time) ([]string, error) {
	if s.cfg.RetentionDays <= 0 {
		return nil, nil
	}
	res, err := s.client.Cat.Indices(s.client.Cat.Indices.WithContext(ctx),
		s.client.Cat.Indices.WithIndex(IndexPattern(s.cfg.IndexPrefix)),
		s.client.Cat.Indices.WithFormat("json"), s.client.Cat.Indices.WithH("index"))
	if err != nil {
		return nil, fmt.Errorf("list indices: %w", err)
	}
	defer res.Body.Close()
	if err := responseError(res.StatusCode, res.String(), s.addresses()); err != nil {
		return nil, fmt.Errorf("list indices: %w", err)
	}
	var rows []struct {
		Index string `json:"index"`
	}
	if err := json.NewDecoder(res.Body).Decode(&rows); err != nil {
		return nil, fmt.Errorf("list indices: %w", err)
	}
	cutoff := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -s.cfg.RetentionDays)
	var old []string
	for _, r := range rows {
		day, ok := indexDay(s.cfg.IndexPrefix, r.Index)
		if ok && day.Before(cutoff) {
			old = append(old, r.Index)
		}
	}
	if len(old) == 0 {
		return nil, nil
	}
	del, err := s.client.Indices.Delete(old, s.client.Indices.Delete.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("delete indices: %w", err)
	}
	defer del.Body.Close()
	if err := responseError(del.StatusCode, del.String(), s.addresses()); err != nil {
		return nil, fmt.Errorf("delete indices: %w", err)
	}
	return old, nil
}

// indexDay parses the day of a daily index name.
func indexDay(prefix, name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, prefix+"-")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("2006.01.02", rest)
	return t, err == nil
}

// retentionLoop applies the retention at start and then hourly until the sink closes.
func (s *Sink) retentionLoop() {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
		deleted, err := s.DeleteOldIndices(ctx, time.Now())
		cancel()
		switch {
		case err != nil:
			s.log.Warn("retention: could not delete old indices", "error", err)
		case len(deleted) > 0:
			s.log.Info("retention: deleted old indices", "indices", deleted, "days", s.cfg.RetentionDays)
		}
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
	}
}
