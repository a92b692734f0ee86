package webhook

import (
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    Config
		wantErr string
	}{
		{name: "plain url takes the defaults", raw: "http://host:8080",
			want: Config{URL: "http://host:8080", Format: FormatJSON}},
		{name: "timeout as in Tracee's docs", raw: "http://host:8080?timeout=5s",
			want: Config{URL: "http://host:8080", Format: FormatJSON, Timeout: 5 * time.Second}},
		{name: "retries, batch and backoff are taken out of the query", raw: "https://host/hook?retries=5&batch=100&backoff=1s&token=abc",
			want: Config{URL: "https://host/hook?token=abc", Format: FormatJSON, Retries: 5, Batch: 100, Backoff: time.Second}},
		{name: "retries=0 means no retries", raw: "http://host?retries=0",
			want: Config{URL: "http://host", Format: FormatJSON, Retries: -1}},
		{name: "gotemplate and contentType as in Tracee's legacy flag", raw: "http://host?gotemplate=/t.tmpl&contentType=text/plain",
			want: Config{URL: "http://host", Format: FormatGoTemplate, Template: "/t.tmpl", ContentType: "text/plain"}},
		{name: "credentials stay in the url", raw: "http://user:pw@host",
			want: Config{URL: "http://user:pw@host", Format: FormatJSON}},
		{name: "bad scheme", raw: "ftp://user:s3cret@host", wantErr: "scheme must be http or https"},
		{name: "no host", raw: "http:///path", wantErr: "no host"},
		{name: "bad timeout", raw: "http://user:s3cret@host?timeout=soon", wantErr: `timeout "soon"`},
		{name: "negative retries", raw: "http://host?retries=-2", wantErr: `retries "-2"`},
		{name: "zero batch", raw: "http://host?batch=0", wantErr: `batch "0"`},
		{name: "unparsable url hides itself", raw: "http://user:s3cret@host:port", wantErr: "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURL(%q) error = %v, want one containing %q", tt.raw, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Fatalf("ParseURL(%q)\n got %#v\nwant %#v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestConfig_String_redacts_the_password(t *testing.T) {
	cfg, err := ParseURL("http://user:s3cret@host:8080/hook")
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "host:8080/hook") {
		t.Fatalf("String() = %q", s)
	}
}

func TestNew_rejects_bad_configs(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "unknown format", cfg: Config{URL: "http://host", Format: "xml"}, wantErr: `format "xml"`},
		{name: "gotemplate without a file", cfg: Config{URL: "http://host", Format: FormatGoTemplate}, wantErr: "needs a template file"},
		{name: "gotemplate file missing", cfg: Config{URL: "http://host", Format: FormatGoTemplate, Template: "/nonexistent/t.tmpl"}, wantErr: "read template"},
		{name: "gotemplate with batch", cfg: Config{URL: "http://host", Format: FormatGoTemplate, Template: "/t", Batch: 5}, wantErr: "batch needs the json format"},
		{name: "not a url", cfg: Config{URL: "host:8080", Format: FormatJSON}, wantErr: "want http(s)://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, discardLog())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		v    string
		want time.Duration
	}{
		{name: "absent", v: "", want: 0},
		{name: "seconds", v: "2", want: 2 * time.Second},
		{name: "huge seconds are capped", v: "86400", want: maxRetryAfter},
		{name: "http date", v: now.Add(3 * time.Second).Format(httpTimeFormat), want: 3 * time.Second},
		{name: "date in the past", v: now.Add(-time.Hour).Format(httpTimeFormat), want: 0},
		{name: "garbage", v: "soon", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.v, now); got != tt.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestDeliverer_backoffFor_grows_and_stays_bounded(t *testing.T) {
	d := &deliverer{backoff: 100 * time.Millisecond}
	tests := []struct {
		name     string
		retry    int
		min, max time.Duration
	}{
		{name: "first retry", retry: 0, min: 50 * time.Millisecond, max: 100 * time.Millisecond},
		{name: "third retry doubles twice", retry: 2, min: 200 * time.Millisecond, max: 400 * time.Millisecond},
		{name: "late retries are capped", retry: 60, min: maxBackoff / 2, max: maxBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if got := d.backoffFor(tt.retry); got < tt.min || got > tt.max {
					t.Fatalf("backoffFor(%d) = %v, want in [%v, %v]", tt.retry, got, tt.min, tt.max)
				}
			}
		})
	}
}
