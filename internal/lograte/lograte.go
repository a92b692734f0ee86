// Package lograte keeps a repeated warning to one log line per interval: the first occurrence is
// logged at once, later ones are counted and reported with the next line that gets through.
package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is the interval used when none is given.
const DefaultEvery = 10 * time.Second

// Limiter rate-limits one kind of log line. It is safe for concurrent use.
type Limiter struct {
	log   *slog.Logger
	level slog.Level
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed uint64
	total      uint64
}

// New returns a limiter that logs at level at most once per every (DefaultEvery if 0).
func New(log *slog.Logger, level slog.Level, every time.Duration) *Limiter {
	if every <= 0 {
		every = DefaultEvery
	}
	return &Limiter{log: log, level: level, every: every, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Log counts one occurrence and logs it unless a line went out less than the interval ago. A
// logged line carries "suppressed", the occurrences not logged since the previous line, when any.
func (l *Limiter) Log(ctx context.Context, msg string, attrs ...any) {
	l.mu.Lock()
	l.total++
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.last = now
	n := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	if n > 0 {
		attrs = append(attrs, "suppressed", n)
	}
	l.log.Log(ctx, l.level, msg, attrs...)
}

// Total is the number of occurrences counted, logged or not.
func (l *Limiter) Total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Suppressed is the number of occurrences not logged since the last line that went out.
func (l *Limiter) Suppressed() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.suppressed
}
