package app

import (
	"container/heap"
	"context"

	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// sortWindowNs is how far behind the newest event an event is held for sorting: events of
// different CPUs reach the agent out of order by less than the ring buffer's poll interval.
const sortWindowNs = 200_000_000

// sortingSink passes events to next in timestamp order (--output sort-events): it holds each event
// until one newer by sortWindowNs arrives, and everything at Flush and Close.
type sortingSink struct {
	next   ports.EventSink
	held   eventHeap
	newest int
}

func newSortingSink(next ports.EventSink) *sortingSink { return &sortingSink{next: next} }

func (s *sortingSink) Write(ctx context.Context, ev *trace.Event) error {
	heap.Push(&s.held, ev)
	if ev.Timestamp > s.newest {
		s.newest = ev.Timestamp
	}
	for len(s.held) > 0 && s.held[0].Timestamp <= s.newest-sortWindowNs {
		if err := s.next.Write(ctx, heap.Pop(&s.held).(*trace.Event)); err != nil {
			return err
		}
	}
	return nil
}

func (s *sortingSink) drain(ctx context.Context) error {
	for len(s.held) > 0 {
		if err := s.next.Write(ctx, heap.Pop(&s.held).(*trace.Event)); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes what is held only when the queue ran empty, so a quiet agent never holds events.
func (s *sortingSink) Flush(ctx context.Context) error {
	if err := s.drain(ctx); err != nil {
		return err
	}
	return s.next.Flush(ctx)
}

func (s *sortingSink) Close(ctx context.Context) error {
	err := s.drain(ctx)
	if cerr := s.next.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

type eventHeap []*trace.Event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].Timestamp < h[j].Timestamp }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(*trace.Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	ev := old[len(old)-1]
	*h = old[:len(old)-1]
	return ev
}
