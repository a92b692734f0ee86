package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads Go durations plus days and weeks: 90s, 10m, 1h30m, 2d, 1w.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: want e.g. 10m, 2h, 7d", s)
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 10m, 2h, 7d", s)
	}
	return d, nil
}

// timeLayouts are the absolute times --since and --until accept; without a zone they are local.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

// ParseTime reads a time bound: a duration ago (10m, 2h, 7d), "now", a Unix time in seconds,
// or an RFC 3339 / YYYY-MM-DD[ HH:MM[:SS]] time.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if s == "now" {
		return now, nil
	}
	if d, err := ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want a duration ago (10m, 2h, 7d), RFC 3339 or YYYY-MM-DD[ HH:MM]", s)
}
