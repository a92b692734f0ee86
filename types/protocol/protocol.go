// Package protocol is the envelope the detection engine consumes. It mirrors Tracee's
// types/protocol so that signatures written for Tracee compile unchanged.
package protocol

// EventHeaders carries what the engine needs to route an event without looking at its payload.
type EventHeaders struct {
	// Selector routes the event to the signatures that asked for it.
	Selector Selector

	// custom headers are rarely set, so the map is allocated lazily.
	custom map[string]string
}

// Selector names an event by producer, name and origin (host, container, container-init).
type Selector struct {
	Name   string
	Origin string
	Source string
}

// Event is a routed payload; for events of the tracee source the payload is a trace.Event.
type Event struct {
	Headers EventHeaders
	Payload interface{}
}

// Selector returns the event's routing header.
func (e *Event) Selector() Selector {
	return e.Headers.Selector
}

// Header returns a custom header set by SetHeader, or "".
func (e *Event) Header(header string) string {
	if e.Headers.custom == nil {
		return ""
	}
	return e.Headers.custom[header]
}

// SetHeader sets a custom header.
func (e *Event) SetHeader(header string, value string) {
	if e.Headers.custom == nil {
		e.Headers.custom = make(map[string]string)
	}
	e.Headers.custom[header] = value
}
