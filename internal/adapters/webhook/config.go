// Package webhook posts events to an HTTP endpoint, as Tracee's webhook output does: one event per
// request as Tracee JSON (or a Go template's output), with retries for transient failures.
package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/redact"
)

// The formats.
const (
	FormatJSON       = "json"
	FormatGoTemplate = "gotemplate"
)

// Defaults applied by New to zero fields.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 3
	DefaultBackoff = 250 * time.Millisecond
)

// Config describes one webhook destination. Build it with ParseURL, then set Name and, from the
// destination's format option, Format and Template.
type Config struct {
	Name string
	// URL is the endpoint; user:pass@ in it becomes basic auth and is never logged.
	URL string
	// Format is "json" (default) or "gotemplate" with Template the template file's path.
	Format   string
	Template string
	// ContentType overrides the request's Content-Type (application/json, or
	// application/x-ndjson for batches).
	ContentType string
	// Timeout bounds each request (DefaultTimeout when 0).
	Timeout time.Duration
	// Retries is how many times a transient failure is retried: 0 means DefaultRetries, a negative
	// value none.
	Retries int
	// Batch > 1 posts up to Batch events per request as NDJSON (json format only).
	Batch int
	// Backoff is the first retry's delay, doubled per retry with jitter (DefaultBackoff when 0).
	Backoff time.Duration
}

// String shows the config with the URL's password redacted, so a logged Config leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("webhook %s url=%s format=%s timeout=%s retries=%d batch=%d",
		c.Name, redact.URL(c.URL), c.Format, c.Timeout, c.Retries, c.Batch)
}

// ParseURL reads a destination URL such as http://user:pass@host:8080/hook?timeout=5s&batch=100.
// It takes out the parameters it knows (timeout, retries, batch, backoff, gotemplate, contentType)
// and leaves the rest of the query for the server.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The parse error quotes the whole URL, credentials included: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Config{}, fmt.Errorf("webhook url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Config{}, fmt.Errorf("webhook url %s: scheme must be http or https", redact.URL(raw))
	}
	if u.Host == "" {
		return Config{}, fmt.Errorf("webhook url %s: no host", redact.URL(raw))
	}
	cfg := Config{Format: FormatJSON}
	q := u.Query()
	take := func(key string) string {
		v := q.Get(key)
		q.Del(key)
		return v
	}
	if v := take("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("webhook url %s: timeout %q: want a positive duration such as 5s", redact.URL(raw), v)
		}
		cfg.Timeout = d
	}
	if v := take("retries"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Config{}, fmt.Errorf("webhook url %s: retries %q: want a number >= 0", redact.URL(raw), v)
		}
		cfg.Retries = n
		if n == 0 {
			cfg.Retries = -1
		}
	}
	if v := take("batch"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("webhook url %s: batch %q: want a number >= 1", redact.URL(raw), v)
		}
		cfg.Batch = n
	}
	if v := take("backoff"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("webhook url %s: backoff %q: want a positive duration such as 250ms", redact.URL(raw), v)
		}
		cfg.Backoff = d
	}
	if v := take("gotemplate"); v != "" {
		cfg.Format, cfg.Template = FormatGoTemplate, v
	}
	cfg.ContentType = take("contentType")
	u.RawQuery = q.Encode()
	cfg.URL = u.String()
	return cfg, nil
}

// endpointOf splits the credentials off u: the request goes to the bare URL with basic auth, so
// no error from net/http can quote the password. where names the endpoint in logs (no query).
func endpointOf(u *url.URL) (endpoint, where, user, pass string, auth bool) {
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		auth = true
	}
	bare := *u
	bare.User = nil
	endpoint = bare.String()
	bare.RawQuery, bare.Fragment = "", ""
	where = strings.TrimSuffix(bare.String(), "?")
	return endpoint, where, user, pass, auth
}
