package lograte_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/internal/lograte"
)

func TestLimiter_one_line_per_interval_with_the_count(t *testing.T) {
	var buf bytes.Buffer
	l := lograte.New(slog.New(slog.NewTextHandler(&buf, nil)), slog.LevelWarn, time.Second)
	now := time.Unix(1000, 0)
	l.SetClock(func() time.Time { return now })
	for i := 0; i < 833; i++ {
		l.Log(context.Background(), "ALERTS LOST")
	}
	assert.Equal(t, 1, strings.Count(buf.String(), "ALERTS LOST"), "one line for a burst")
	now = now.Add(time.Second)
	l.Log(context.Background(), "ALERTS LOST")
	assert.Equal(t, 2, strings.Count(buf.String(), "ALERTS LOST"))
	assert.Contains(t, buf.String(), "suppressed=832")
	assert.EqualValues(t, 834, l.Total())
	assert.Zero(t, l.Suppressed())
}
