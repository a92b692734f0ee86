package ebpf

import (
	"sync/atomic"
	"time"
)

// Stats counts what the source read and lost.
type Stats struct {
	EventsRead   uint64   // records read from the ring
	Emitted      uint64   // events handed to emit
	DecodeErrors uint64   // records that could not be decoded
	Lost         uint64   // records the kernel could not write because the ring was full
	LostPerCPU   []uint64 // Lost, by CPU
}

// counters are written by the reader on every record and read by Stats now and then. The padding
// keeps them off the cache lines (and their adjacent-line prefetch pairs) of the Source fields the
// agent's pipeline goroutine reads on every batch it hands back: sharing a line cost the reader a
// cache miss per record.
type counters struct {
	_                           [128]byte
	read, emitted, decodeErrors atomic.Uint64
	_                           [128]byte
}

func nowNano() int64 { return time.Now().UnixNano() }

// Stats returns the counters; Lost is read from the kernel while the source runs.
func (s *Source) Stats() Stats {
	st := Stats{
		EventsRead:   s.counters.read.Load(),
		Emitted:      s.counters.emitted.Load(),
		DecodeErrors: s.counters.decodeErrors.Load(),
	}
	s.mu.Lock()
	drops := s.drops
	if drops == nil && s.lastLost != nil {
		st.LostPerCPU = append([]uint64(nil), s.lastLost...)
		for _, n := range st.LostPerCPU {
			st.Lost += n
		}
	}
	s.mu.Unlock()
	if drops != nil {
		var perCPU []uint64
		if err := drops.Lookup(uint32(0), &perCPU); err == nil {
			st.LostPerCPU = perCPU
			for _, n := range perCPU {
				st.Lost += n
			}
		}
	}
	return st
}
