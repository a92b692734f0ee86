// Package redact hides credentials in what the agent prints: URLs with user information and
// secret-looking parameters, in flags, configuration dumps, logs and error messages.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// URL shows a URL without its user information (which may hold a password). A string that does
// not parse as a URL with a host loses everything up to its last '@' (a password may hold '/' or
// '@'); one that does not parse at all and has no '@' is hidden whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return "REDACTED@" + raw[i+1:]
		}
		if err != nil {
			return "(unparseable URL)"
		}
		return raw
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

var secretParam = regexp.MustCompile(`(?i)((?:password|passwd|api[-_]?key|token|secret)=)[^&,\s]+`)

// Secrets hides the values of secret-looking parameters (password=, api-key=, token=, secret=)
// and the password of a URL inside a longer value such as a flag's "es:https://u:p@host".
func Secrets(v string) string {
	v = secretParam.ReplaceAllString(v, "${1}REDACTED")
	if i := strings.Index(v, "://"); i >= 0 {
		start := strings.LastIndexAny(v[:i], ":=")
		raw := v[start+1:]
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "REDACTED")
				v = v[:start+1] + u.String()
			}
		}
	}
	return v
}
