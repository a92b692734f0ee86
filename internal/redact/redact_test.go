package redact

import (
	"strings"
	"testing"
)

func TestURL_never_shows_a_password(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://u:s3cret@es.example:9200/x", "https://REDACTED@es.example:9200/x"},
		{"https://es.example:9200", "https://es.example:9200"},
		{"u:s3cret@es.example:9200", "REDACTED@es.example:9200"},
		{"https://u:s3cret@127.0.0.1:9200/%zz", "REDACTED@127.0.0.1:9200/%zz"},
		{"https://127.0.0.1:9200/%zz", "(unparseable URL)"},
	} {
		if got := URL(tt.in); got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecrets_hides_parameters_and_URL_passwords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"es:https://u:s3cret@host:9200", "es:https://u:REDACTED@host:9200"},
		{"webhook:http://h/x?token=s3cret&a=1", "webhook:http://h/x?token=REDACTED&a=1"},
		{"api-key=s3cret", "api-key=REDACTED"},
		{"json:/tmp/out", "json:/tmp/out"},
	} {
		if got := Secrets(tt.in); got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("Secrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
