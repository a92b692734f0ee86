package domain

import (
	"unsafe"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// eventPayload returns *ev as the interface{} a protocol.Event's Payload holds (dynamic type
// trace.Event) without the copy a conversion makes: the interface's data word points at ev. The
// engine dispatched a copy of every matched event before (~500 bytes allocated and moved per
// event); the event is not changed once dispatched, so signatures see the same values. A type
// assertion (Payload.(trace.Event)) still copies it out, and helpers.TraceEvent reads it in place.
func eventPayload(ev *trace.Event) any {
	var p any = trace.Event{} // a zero value of this size needs no allocation: only its type word is used
	(*eface)(unsafe.Pointer(&p)).data = unsafe.Pointer(ev)
	return p
}

// eface is the runtime layout of an interface{} value: type word, then data word.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}
