package elasticsearch

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseOutputSpec(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("s3cret\n"), 0o600))
	t.Setenv("TEST_ES_KEY", "a2V5")

	tests := []struct {
		name    string
		spec    string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", spec: "elasticsearch:http://127.0.0.1:9200", check: func(t *testing.T, c Config) {
			assert.Equal(t, []string{"http://127.0.0.1:9200"}, c.Addresses)
			assert.Equal(t, DefaultIndexPrefix, c.IndexPrefix)
			assert.Equal(t, DefaultSpoolDir, c.SpoolDir)
			assert.Equal(t, SpoolSyncBatch, c.SpoolSync, "durable by default")
			assert.False(t, c.InsecureSkipVerify)
		}},
		{name: "spool without fsync", spec: "elasticsearch:http://x:9200?spool-sync=none", check: func(t *testing.T, c Config) {
			assert.Equal(t, SpoolSyncNone, c.SpoolSync)
		}},
		{name: "bad spool-sync", spec: "elasticsearch:http://x:9200?spool-sync=always", wantErr: "want batch"},
		{name: "basic auth from file and options",
			spec: "elasticsearch:https://es1:9200,https://es2:9200?index=alerts&user=tracee&password-file=" + pw +
				"&spool-dir=/tmp/x&spool-max=2GiB&retention-days=30&queue=500&events=all&flush-interval=2s",
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"https://es1:9200", "https://es2:9200"}, c.Addresses)
				assert.Equal(t, "alerts", c.IndexPrefix)
				assert.Equal(t, "tracee", c.Username)
				assert.Equal(t, "s3cret", c.Password)
				assert.Equal(t, "/tmp/x", c.SpoolDir)
				assert.Equal(t, int64(2<<30), c.SpoolMaxBytes)
				assert.Equal(t, 30, c.RetentionDays)
				assert.Equal(t, 500, c.QueueSize)
				assert.True(t, c.AllEvents)
				assert.Equal(t, 2*time.Second, c.FlushInterval)
			}},
		{name: "api key from env", spec: "elasticsearch:https://es:9200?api-key-env=TEST_ES_KEY", check: func(t *testing.T, c Config) {
			assert.Equal(t, "a2V5", c.APIKey)
		}},
		{name: "bearer from file", spec: "elasticsearch:https://es:9200?bearer-file=" + pw, check: func(t *testing.T, c Config) {
			assert.Equal(t, "s3cret", c.BearerToken)
		}},
		{name: "user in url", spec: "elasticsearch:https://tracee@es:9200?password-env=TEST_ES_KEY", check: func(t *testing.T, c Config) {
			assert.Equal(t, "tracee", c.Username)
			assert.Equal(t, []string{"https://es:9200"}, c.Addresses)
		}},
		{name: "insecure only explicitly", spec: "elasticsearch:https://es:9200?insecure-skip-verify=true", check: func(t *testing.T, c Config) {
			assert.True(t, c.InsecureSkipVerify)
		}},
		{name: "wrong scheme", spec: "es:http://x", wantErr: `starts with "elasticsearch:"`},
		{name: "no address", spec: "elasticsearch:", wantErr: "no address"},
		{name: "bad address", spec: "elasticsearch:ftp://x", wantErr: "want http://host:port"},
		{name: "literal password refused", spec: "elasticsearch:http://x:9200?user=u&password=p", wantErr: "visible to every user"},
		{name: "password in url refused", spec: "elasticsearch:http://u:p@x:9200", wantErr: "visible to every user"},
		{name: "missing secret file", spec: "elasticsearch:http://x:9200?user=u&password-file=/nonexistent", wantErr: "read secret"},
		{name: "unset env", spec: "elasticsearch:http://x:9200?api-key-env=TEST_ES_NOPE", wantErr: "TEST_ES_NOPE is not set"},
		{name: "unknown option", spec: "elasticsearch:http://x:9200?colour=red", wantErr: "option colour: unknown option"},
		{name: "bad index", spec: "elasticsearch:http://x:9200?index=Bad*", wantErr: "not a valid index prefix"},
		{name: "bad size", spec: "elasticsearch:http://x:9200?spool-max=lots", wantErr: "want a size"},
		{name: "cert without key", spec: "elasticsearch:https://x:9200?cert=" + pw, wantErr: "go together"},
		{name: "two secrets", spec: "elasticsearch:https://x:9200?user=u&password-file=" + pw + "&api-key-env=TEST_ES_KEY", wantErr: "choose one"},
		{name: "password without user", spec: "elasticsearch:https://x:9200?password-file=" + pw, wantErr: "needs user="},
		{name: "path refused", spec: "elasticsearch:http://x:9200/alerts", wantErr: "has a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseOutputSpec(tt.spec)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cret")
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestConfig_never_prints_secrets(t *testing.T) {
	c := Config{Addresses: []string{"http://x:9200"}, Username: "u", Password: "s3cret", APIKey: "k3y", BearerToken: "t0ken"}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v", c), c.LogValue().String()} {
		for _, secret := range []string{"s3cret", "k3y", "t0ken"} {
			assert.False(t, strings.Contains(s, secret), "%q leaks %s", s, secret)
		}
	}
}

func TestBackoff_grows_with_jitter_and_caps(t *testing.T) {
	base, max := 100*time.Millisecond, 2*time.Second
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{10, time.Second, 2 * time.Second},
		{100, time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("attempt ", tt.attempt), func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 200 {
				d := backoff(tt.attempt, base, max)
				assert.GreaterOrEqual(t, d, tt.min)
				assert.LessOrEqual(t, d, tt.max)
				seen[d] = true
			}
			assert.Greater(t, len(seen), 1, "jittered")
		})
	}
}

func TestRepair(t *testing.T) {
	body := []byte(`{"@timestamp":"2026-11-27T10:00:00Z","event":{"kind":"alert"},"destination":{"ip":"not-an-ip","port":443},"tracee":{"args":{"a":1}}}`)
	it := &spoolItem{Index: "i", ID: "d", Body: body}

	fixed, ok := repair(it, "document_parsing_exception",
		"[1:80] failed to parse field [destination.ip] of type [ip] in document with id 'd'. Preview of field's value: 'not-an-ip'")
	require.True(t, ok)
	assert.Equal(t, 1, fixed.Fixes)
	assert.JSONEq(t, `{"@timestamp":"2026-11-27T10:00:00Z","event":{"kind":"alert"},"destination":{"port":443},
		"tracee":{"args":{"a":1},"rejected":[{"field":"destination.ip","value":"\"not-an-ip\"",
		"reason":"document_parsing_exception: [1:80] failed to parse field [destination.ip] of type [ip] in document with id 'd'. Preview of field's value: 'not-an-ip'"}]}}`,
		string(fixed.Body))

	stripped, ok := repair(fixed, "illegal_argument_exception", "something without a field name")
	require.True(t, ok)
	assert.Equal(t, strippedFixes, stripped.Fixes)
	assert.JSONEq(t, `{"@timestamp":"2026-11-27T10:00:00Z","event":{"kind":"alert"},
		"tracee":{"rejected":[{"field":"*","value":`+quote(string(fixed.Body))+`,"reason":"illegal_argument_exception: something without a field name"}]}}`,
		string(stripped.Body))

	_, ok = repair(stripped, "x", "y")
	assert.False(t, ok, "a stripped document that is still refused goes to the dead-letter file")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
