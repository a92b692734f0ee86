// Package sourcetest is the contract of ports.EventSource: Run for every source that can be fed
// recorded events (replay), RunLive for what a live source (eBPF) can be held to as well.
package sourcetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// NewSource returns a source that will produce events, in order, then end.
type NewSource func(t *testing.T, events []trace.Event) ports.EventSource

func selection(t *testing.T, names ...string) domain.Selection {
	t.Helper()
	sel, err := domain.Select(domain.NewCatalog(domain.BaseEvents()), names)
	require.NoError(t, err)
	return sel
}

// Run runs the contract.
func Run(t *testing.T, newSource NewSource) {
	recorded := []trace.Event{
		{EventName: "sched_process_exec", HostProcessID: 1},
		{EventName: "security_file_open", HostProcessID: 2},
		{EventName: "anti_debugging", HostProcessID: 3}, // a recorded finding: output, not input
		{EventName: "sched_process_exec", HostProcessID: 4},
	}

	t.Run("emits only the selected events, in order, then ends", func(t *testing.T) {
		src := newSource(t, recorded)
		var got []*trace.Event
		err := src.Run(context.Background(), selection(t, "sched_process_exec"), func(ev *trace.Event) { got = append(got, ev) })
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, 1, got[0].HostProcessID)
		assert.Equal(t, 4, got[1].HostProcessID)
		assert.NotSame(t, got[0], got[1], "emit takes ownership: every event is its own")
	})

	t.Run("emits nothing when nothing is selected", func(t *testing.T) {
		src := newSource(t, recorded)
		n := 0
		require.NoError(t, src.Run(context.Background(), domain.Selection{}, func(*trace.Event) { n++ }))
		assert.Zero(t, n)
	})

	t.Run("a cancelled context ends the run", func(t *testing.T) {
		many := make([]trace.Event, 0, 20000)
		for i := range 20000 {
			many = append(many, trace.Event{EventName: "sched_process_exec", HostProcessID: i})
		}
		src := newSource(t, many)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		done := make(chan error, 1)
		go func() {
			done <- src.Run(ctx, selection(t, "sched_process_exec"), func(*trace.Event) {
				if n++; n == 10 {
					cancel()
				}
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
			}
			assert.Less(t, n, 20000, "the source stopped early")
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
	})
}

// RunLive is the part of the contract a live source (one that watches the kernel) can be held to:
// it emits only the selected events, each its own, ends when its context is cancelled, and runs
// again after a run ended. trigger makes at least one selected event (sched_process_exec) happen.
//
// A source the agent pulls batches from (ports.PullSource) is held to the same pulled, and must
// hand an event over without waiting for its batch to fill (the trigger makes one exec at a time).
func RunLive(t *testing.T, src ports.EventSource, trigger func()) {
	runLive(t, func(ctx context.Context, sel domain.Selection, emit func(*trace.Event)) error {
		return src.Run(ctx, sel, emit)
	}, trigger, 0)
	if ps, ok := src.(ports.PullSource); ok {
		t.Run("pulled", func(t *testing.T) {
			runLive(t, func(ctx context.Context, sel domain.Selection, emit func(*trace.Event)) error {
				batches, err := ps.Open(ctx, sel)
				if err != nil {
					return err
				}
				defer func() { assert.NoError(t, batches.Close()) }()
				buf := make([]*trace.Event, 0, 8)
				for {
					evs, err := batches.Next(ctx, buf[:0])
					for _, ev := range evs {
						emit(ev)
					}
					if err != nil || len(evs) == 0 {
						return err
					}
					buf = evs
				}
			}, trigger, maxBatchTriggers)
		})
	}
}

// maxBatchTriggers bounds the execs a pulled source may need before it hands the first over:
// far fewer than a batch holds (64 for the eBPF source), so a batch that waits to fill fails.
const maxBatchTriggers = 16

// runLive runs the live contract through runSource; maxTriggers > 0 bounds how many triggers the
// first event may take.
func runLive(t *testing.T, runSource func(context.Context, domain.Selection, func(*trace.Event)) error, trigger func(), maxTriggers int) {
	run := func(t *testing.T) []*trace.Event {
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var got []*trace.Event
		done := make(chan error, 1)
		go func() {
			done <- runSource(ctx, selection(t, "sched_process_exec"), func(ev *trace.Event) {
				mu.Lock()
				got = append(got, ev)
				mu.Unlock()
			})
		}()
		deadline := time.Now().Add(30 * time.Second)
		for triggers := 1; ; triggers++ {
			if maxTriggers > 0 && triggers > maxTriggers {
				t.Errorf("no event handed over after %d triggers: events wait in a batch", maxTriggers)
				break
			}
			trigger()
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of its context being cancelled")
		}
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	t.Run("emits only the selected events, each its own, and ends on cancel", func(t *testing.T) {
		got := run(t)
		require.NotEmpty(t, got, "no sched_process_exec within 30s")
		for i, ev := range got {
			assert.Equal(t, "sched_process_exec", ev.EventName)
			if i > 0 {
				assert.NotSame(t, got[i-1], ev)
			}
		}
	})
	t.Run("runs again after a run ended", func(t *testing.T) {
		require.NotEmpty(t, run(t))
	})
}
