// Package ports declares what the core needs from the outside world. Adapters under
// internal/adapters implement these interfaces; the app layer and the domain only see the ports.
package ports

import (
	"context"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// EventSource produces base events: the live kernel (eBPF) or a recorded file (replay).
type EventSource interface {
	// Run emits the events named in sel.Need until ctx is cancelled (returns ctx.Err() or nil) or
	// the source ends (returns nil). emit is called from one goroutine at a time and takes
	// ownership of ev. An error is fatal for the source.
	Run(ctx context.Context, sel domain.Selection, emit func(ev *trace.Event)) error
}

// PullSource is an EventSource whose events the agent pulls in batches on its own goroutine:
// reading, decoding and detection then run one after the other on one goroutine, with no hand-off
// of each batch between goroutines (and the cores they run on).
type PullSource interface {
	EventSource
	// Open starts a run of the source (what Run does before its first event); the run ends with
	// EventBatches.Close.
	Open(ctx context.Context, sel domain.Selection) (EventBatches, error)
}

// EventBatches is one run of a PullSource.
type EventBatches interface {
	// Next appends the next events to buf (its array may be reused) and returns them: at least one,
	// handed over as soon as the source has no more at hand, so no event waits for the batch to
	// fill. It waits for events; it returns none when ctx ended or the source ended, with an
	// error only for a fault of the source. Calls may come from different goroutines, one at a
	// time, each after the previous one returned; the caller owns the returned events.
	Next(ctx context.Context, buf []*trace.Event) ([]*trace.Event, error)
	// Close ends the run and releases what it holds; Next is not called after it.
	Close() error
}

// EventRecycler is an EventSource that reuses the memory of its events. The agent hands back
// events nothing can reach any more: no output queued them and no signature was offered them
// (signatures see the event itself and may keep it). The source may then overwrite every field
// of each struct and reuse its argument slice; no other slice or map it pointed to is reused.
// The agent hands them back in batches, from one goroutine at a time, and does not touch evs
// afterwards.
type EventRecycler interface {
	Recycle(evs []*trace.Event)
}

// SignatureLoader finds and opens signatures (Go plugins, Rego files) in directories.
type SignatureLoader interface {
	// Load judges every file on its own: failures become LoadResult.Problems, never a stop.
	Load(ctx context.Context, dirs []string) domain.LoadResult
}

// EventSink writes events (signature events and selected base events) to an output.
type EventSink interface {
	// Write hands over one event; the sink must not modify it (it may be shared by other sinks).
	Write(ctx context.Context, ev *trace.Event) error
	// Flush pushes buffered events out; called when the sink's queue runs empty.
	Flush(ctx context.Context) error
	// Close flushes (or durably spools) everything and releases the output.
	Close(ctx context.Context) error
}

// PolicyEvaluator decides, for every finding, whether it reaches the outputs and how it is
// amended (severity, tags, fields). It may modify ev in place.
type PolicyEvaluator interface {
	EvaluateFinding(ctx context.Context, ev *trace.Event) (domain.Verdict, error)
}
