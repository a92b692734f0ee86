package helpers

import (
	"unsafe"

	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// eface is the runtime layout of an interface{} value: type word, then data word.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// TraceEvent returns the trace.Event carried by e without copying it (a trace.Event is ~500 bytes
// and OnEvent runs for every selected event). The result points at the engine's boxed copy: read
// it, never modify it or keep it after OnEvent returns. A *trace.Event payload is returned as is.
func TraceEvent(e *protocol.Event) (*trace.Event, bool) {
	switch e.Payload.(type) {
	case trace.Event:
		// A boxed struct of this size is always stored indirectly: the data word points to it.
		return (*trace.Event)((*eface)(unsafe.Pointer(&e.Payload)).data), true
	case *trace.Event:
		p := e.Payload.(*trace.Event)
		return p, p != nil
	}
	return nil, false
}
