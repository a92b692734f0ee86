package signatures

import (
	"errors"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// errInvalidEvent is returned for payloads that are not trace events; a sentinel keeps the error
// path free of allocations.
var errInvalidEvent = errors.New("invalid event: payload is not a trace.Event")

// base carries what every built-in signature has in common: its metadata, the events it selects
// and the callback. Signatures embed it and add OnEvent.
type base struct {
	md       detect.SignatureMetadata
	selected []detect.SignatureEventSelector
	cb       detect.SignatureHandler
	open     *domain.OpenInterest  // see opens
	magic    *domain.MagicInterest // see magicWrites
}

// mitre describes a signature's classification.
type mitre struct {
	severity  int    // 0 (info) to 4 (critical)
	category  string // ATT&CK tactic, e.g. "defense-evasion"
	technique string // ATT&CK technique name
	id        string // ATT&CK technique ID, e.g. "T1622"
}

func newBase(id, eventName, name, description string, m mitre, events ...string) base {
	sel := make([]detect.SignatureEventSelector, 0, len(events))
	for _, e := range events {
		sel = append(sel, detect.SignatureEventSelector{Source: "tracee", Name: e, Origin: "*"})
	}
	return base{
		md: detect.SignatureMetadata{
			ID:          id,
			Version:     "1",
			Name:        name,
			EventName:   eventName,
			Description: description,
			Tags:        []string{"linux", m.category},
			Properties: map[string]interface{}{
				"Severity":    m.severity,
				"Category":    m.category,
				"Technique":   m.technique,
				"external_id": m.id,
			},
		},
		selected: sel,
	}
}

func (b *base) GetMetadata() (detect.SignatureMetadata, error) { return b.md, nil }

func (b *base) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return append([]detect.SignatureEventSelector(nil), b.selected...), nil
}

func (b *base) Init(ctx detect.SignatureContext) error {
	b.cb = ctx.Callback
	return nil
}

func (b *base) OnSignal(detect.Signal) error { return nil }

func (b *base) Close() {}

// report hands a finding to the engine; data may be nil.
func (b *base) report(event protocol.Event, data map[string]interface{}) {
	if b.cb == nil {
		return
	}
	b.cb(&detect.Finding{SigMetadata: b.md, Event: event, Data: data})
}

// traceEvent unwraps the payload the engine delivers without copying it; see helpers.TraceEvent.
func traceEvent(e *protocol.Event) (*trace.Event, error) {
	if ev, ok := helpers.TraceEvent(e); ok {
		return ev, nil
	}
	return nil, errInvalidEvent
}

// baseName returns the last element of a slash-separated path without allocating.
func baseName(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// inContainer reports whether the event happened in a started container.
func inContainer(ev *trace.Event) bool {
	return ev.ContextFlags.ContainerStarted && ev.Container.ID != ""
}

// opens declares what the signature can match of security_file_open, so that the kernel drops
// the other opens (domain.OpenInterest); a signature that selects the event without it gets them all.
func (b base) opens(oi domain.OpenInterest) base {
	b.open = &oi
	return b
}

// OpenInterest implements domain.OpenInterested.
func (b *base) OpenInterest() (domain.OpenInterest, bool) {
	if b.open == nil {
		return domain.OpenInterest{}, false
	}
	return *b.open, true
}

// magicWrites declares what the signature can match of magic_write (the first bytes written), so
// that the kernel drops the other writes (domain.MagicInterest); a signature that selects the
// event without it gets them all.
func (b base) magicWrites(mi domain.MagicInterest) base {
	b.magic = &mi
	return b
}

// MagicInterest implements domain.MagicInterested.
func (b *base) MagicInterest() (domain.MagicInterest, bool) {
	if b.magic == nil {
		return domain.MagicInterest{}, false
	}
	return *b.magic, true
}

// Interests shared by several signatures.
var (
	// opensWritten: signatures that look only at files written, created or truncated.
	opensWritten = domain.OpenInterest{Writes: true}
	// writesELF: signatures that look only at ELF files written (helpers.IsElf).
	writesELF = domain.MagicInterest{Prefixes: []string{"\x7fELF"}}
)
