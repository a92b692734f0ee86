package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// errSearchNotFound marks a 404 (a missing index or an expired point in time).
var errSearchNotFound = errors.New("not found")

// searchDo sends one request and decodes the answer into out, turning failures into one line
// that names the cluster: unreachable, bad credentials, missing index or Elasticsearch's reason.
func (s *Searcher) searchDo(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Perform(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: cannot reach Elasticsearch at %s: %v", domain.ErrStoreUnreachable, s.url, redactError(err, s.cfg))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%w: reading the answer of Elasticsearch at %s: %v", domain.ErrStoreUnreachable, s.url, redactError(err, s.cfg))
	}
	if res.StatusCode >= 300 {
		return s.searchError(res.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("elasticsearch at %s: unexpected answer: %w", s.url, err)
	}
	return nil
}

func (s *Searcher) searchError(status int, data []byte) error {
	var e struct {
		Error struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
			Cause  []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	reason := e.Error.Reason
	if len(e.Error.Cause) > 0 && e.Error.Cause[0].Reason != "" {
		reason = e.Error.Cause[0].Reason
	}
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w: Elasticsearch at %s answered 401: check the user name and password or API key", domain.ErrStoreUnauthorized, s.url)
	case status == http.StatusForbidden:
		return fmt.Errorf("%w: Elasticsearch at %s answered 403 (%s): the user may not read %s", domain.ErrStoreUnauthorized, s.url, reason, s.index)
	case e.Error.Type == "index_not_found_exception":
		return fmt.Errorf("%w: Elasticsearch at %s has no index %s", domain.ErrNoAlerts, s.url, s.index)
	case status == http.StatusNotFound:
		return fmt.Errorf("%w: %s", errSearchNotFound, reason)
	}
	if reason == "" {
		reason = http.StatusText(status)
	}
	return fmt.Errorf("elasticsearch at %s: %d %s: %s", s.url, status, e.Error.Type, reason)
}
