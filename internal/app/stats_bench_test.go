package app

import (
	"testing"
	"time"
)

// BenchmarkAgentCounters_per_event is what the stats add to every event on the hot path: the
// total and by-name counters and the latency sample (a clock read one event in DispatchSampleEvery).
func BenchmarkAgentCounters_per_event(b *testing.B) {
	var c agentCounters
	c.init(0)
	names := []string{"security_file_open", "sched_process_exec", "openat", "security_socket_connect"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.event(names[i&3])
		if c.sampleDue() {
			start := time.Now()
			c.observeDispatch(time.Since(start))
		}
	}
}

// BenchmarkClock_per_event is the cost the sampling avoids: two clock reads per event.
func BenchmarkClock_per_event(b *testing.B) {
	var c agentCounters
	c.init(0)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c.observeDispatch(time.Since(start))
	}
}
