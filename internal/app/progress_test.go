package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestProgress(t *testing.T) {
	assert.Equal(t, "replay:  25% 1.0 MiB/4.0 MiB, ETA 3s", progressLine("replay", 1<<20, 4<<20, time.Second))
	assert.Equal(t, "replay: 100% 4.0 MiB in 2s", progressLine("replay", 4<<20, 4<<20, 2*time.Second))

	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := newProgress(&buf, "replay", func() time.Time { return clock })
	for i := int64(1); i <= 4; i++ {
		clock = clock.Add(100 * time.Millisecond)
		p.update(i<<20, 8<<20) // twice a second at most: drawn once
	}
	clock = clock.Add(time.Second)
	p.update(8<<20, 8<<20)
	out := buf.String()
	assert.Equal(t, 2, strings.Count(out, "\r"), out)
	assert.True(t, strings.HasSuffix(out, "\n"), "ends its line when done")
	assert.False(t, IsTerminal(&buf), "a buffer is not a terminal: no progress in pipes")
}
