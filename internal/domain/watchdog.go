package domain

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// callWatch publishes the signature call in progress as one word, so that a watchdog can tell a
// call that does not return. The calls an event goes to are chained: the word moves from one call
// straight to the next with one compare-and-swap, and to idle after the last. The dispatching
// goroutine pays one atomic operation per call plus one per event, and no allocation. The
// watchdog abandons a call by swapping its word for idle: the goroutine stuck in it then fails its
// next swap and stops.
type callWatch struct {
	current atomic.Uint64               // a callWord
	ev      atomic.Pointer[trace.Event] // the event being dispatched, set once per matched event
}

// A callWord names the call in progress: the signature's place in Engine.sigs plus one (0: no
// call), the depth of dispatch (findings dispatched from inside a call are one deeper) and a
// sequence number, so that each call's word differs from the ones before it. A finding dispatched
// from inside a call puts the outer call's word back when it is done, so a call that keeps
// reporting findings past the bound is still seen as one call.
type callWord uint64

const (
	callSigBits   = 20
	callDepthBits = 3
	callSeqShift  = callSigBits + callDepthBits
	// maxSignatures is how many signatures a call word can name.
	maxSignatures = 1<<callSigBits - 1
)

func (w callWord) sig() int        { return int(w & (1<<callSigBits - 1)) }
func (w callWord) depth() int      { return int(w>>callSigBits) & (1<<callDepthBits - 1) }
func (w callWord) seqNext() uint64 { return (uint64(w)>>callSeqShift + 1) << callSeqShift }

// next is the word of the call to sig (a place plus one) after w, at depth.
func (w callWord) next(sig, depth int) callWord {
	return callWord(w.seqNext() | uint64(depth)<<callSigBits | uint64(sig))
}

// idle is the word of no call after w.
func (w callWord) idle() callWord { return callWord(w.seqNext()) }

func (w *callWatch) load() callWord { return callWord(w.current.Load()) }

// move swaps from for to; false means the watchdog abandoned from and the goroutine must stop.
func (w *callWatch) move(from, to callWord) bool {
	return w.current.CompareAndSwap(uint64(from), uint64(to))
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
	var lastID callWord
	var since time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			// One OnEvent running past the bound is stuck, even if findings it reports are
			// dispatched meanwhile (those are calls inside it, which put its word back).
			id := e.watch.load()
			if id.sig() == 0 || id != lastID {
				lastID, since = id, now
				continue
			}
			if now.Sub(since) < bound || id.sig() > len(e.sigs) {
				continue
			}
			rs, ev := e.sigs[id.sig()-1], e.watch.ev.Load()
			if !e.watch.move(id, id.idle()) {
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
