package app

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

func finding(sig string, pid int, container string, ts int) *trace.Event {
	return &trace.Event{Timestamp: ts, HostProcessID: pid, ContainerID: container, Container: trace.Container{ID: container},
		Metadata: &trace.Metadata{Properties: map[string]interface{}{"signatureID": sig}}}
}

// TestStormLimiter: a signature firing thousands of times a second for one process is cut to the
// rate per second, the next finding that goes out carries the count, and other keys are untouched.
func TestStormLimiter(t *testing.T) {
	l := newStormLimiter(10)
	out := 0
	for i := 0; i < 5000; i++ {
		if l.allow(finding("X-1", 42, "", 1e9+i)) { // 5,000 findings within one second
			out++
		}
	}
	assert.Equal(t, 10, out)
	assert.True(t, l.allow(finding("X-1", 43, "", 1e9+6000)), "another process is another key")
	assert.True(t, l.allow(finding("X-2", 42, "", 1e9+6001)), "another signature is another key")
	assert.True(t, l.allow(finding("X-1", 7, "abc", 1e9+6002)), "a container is a key of its own")
	next := finding("X-1", 42, "", 2e9+1)
	assert.True(t, l.allow(next), "the next second lets findings through again")
	assert.Equal(t, uint64(4990), next.Metadata.Properties["suppressedStorm"])
	again := finding("X-1", 42, "", 2e9+2)
	assert.True(t, l.allow(again))
	assert.Nil(t, again.Metadata.Properties["suppressedStorm"], "the count is reported once")
	assert.True(t, newStormLimiter(-1).allow(finding("X-1", 1, "", 1)), "a negative rate means no limit")
}

func BenchmarkStormLimiter_allow(b *testing.B) {
	l := newStormLimiter(DefaultFindingRate)
	ev := finding("X-1", 42, "", 1e9)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ev.Timestamp = 1e9 + i
		l.allow(ev)
	}
}
