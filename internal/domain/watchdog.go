package domain

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// callWatch tracks the signature call in progress so that a watchdog can tell one that does not
// return. The dispatching goroutine pays a few atomic operations per call and no allocation.
type callWatch struct {
	seq     atomic.Uint64 // ids of calls, never reused
	current atomic.Uint64 // id of the innermost call in progress, 0 when none or abandoned
	sig     atomic.Pointer[runningSignature]
	ev      atomic.Pointer[trace.Event] // the event being dispatched, set once per matched event
}

// callFrame is what begin saved for end. A finding may dispatch to other signatures from inside a
// call: then prev is the outer call, restored by end.
type callFrame struct {
	id, prev uint64
	outer    *runningSignature
}

func (w *callWatch) begin(rs *runningSignature) callFrame {
	f := callFrame{id: w.seq.Add(1), prev: w.current.Load()}
	if f.prev != 0 {
		f.outer = w.sig.Load()
	}
	w.sig.Store(rs)
	w.current.Store(f.id)
	return f
}

// end closes the call; false means the watchdog abandoned it and the goroutine must stop.
func (w *callWatch) end(f callFrame) bool {
	if !w.current.CompareAndSwap(f.id, f.prev) {
		return false
	}
	if f.prev != 0 {
		w.sig.Store(f.outer)
	}
	return true
}

func (w *callWatch) abandoned(rs *runningSignature) bool { return rs.abandoned.Load() }

// StuckCall describes a signature call the watchdog abandoned.
type StuckCall struct {
	Signature string        // signature ID
	Origin    string        // the file it came from
	Event     string        // the event it was given ("" for a signal such as end of input)
	Running   time.Duration // how long it had been running, at least
}

// Watch abandons signature calls that do not return within bound, until ctx ends: the call is
// reported (signature, event, duration), the signature is disabled and counted in
// EngineStats.Abandoned, and onAbandon runs. The goroutine stuck in the call is left behind: when
// it returns it touches nothing more, so the caller must go on dispatching from a new goroutine
// (onAbandon is the place to start it). Watch runs on its own goroutine.
func (e *Engine) Watch(ctx context.Context, bound time.Duration, onAbandon func(StuckCall)) {
	tick := time.NewTicker(max(bound/4, time.Millisecond))
	defer tick.Stop()
	var lastID uint64
	var since time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			// One OnEvent running past the bound is stuck, even if findings it reports are
			// dispatched meanwhile (those are calls inside it).
			id := e.watch.current.Load()
			if id == 0 || id != lastID {
				lastID, since = id, now
				continue
			}
			if now.Sub(since) < bound {
				continue
			}
			rs, ev := e.watch.sig.Load(), e.watch.ev.Load()
			if rs == nil || !e.watch.current.CompareAndSwap(id, 0) {
				continue
			}
			rs.abandoned.Store(true)
			rs.disabled.Store(true)
			e.stats.Abandoned.Add(1)
			stuck := StuckCall{Signature: rs.Info.Metadata.ID, Origin: rs.Info.Origin, Running: now.Sub(since)}
			if ev != nil {
				stuck.Event = ev.EventName
			}
			e.log.Error("signature call did not return: the signature is disabled and detection goes on without it",
				"signature", stuck.Signature, "origin", stuck.Origin, "event", stuck.Event,
				"running", stuck.Running.Round(time.Millisecond), "bound", bound)
			lastID = 0
			if onAbandon != nil {
				onAbandon(stuck)
			}
		}
	}
}
