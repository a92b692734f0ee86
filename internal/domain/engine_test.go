package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// fakeSignature is a programmable signature for engine tests.
type fakeSignature struct {
	meta      detect.SignatureMetadata
	selectors []detect.SignatureEventSelector
	initErr   error
	initPanic bool
	onEvent   func(cb detect.SignatureHandler, ev protocol.Event) error
	onSignal  func()
	cb        detect.SignatureHandler
	seen      []string
	signals   []detect.Signal
	closed    bool
}

func (s *fakeSignature) GetMetadata() (detect.SignatureMetadata, error) { return s.meta, nil }
func (s *fakeSignature) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return s.selectors, nil
}
func (s *fakeSignature) Init(ctx detect.SignatureContext) error {
	if s.initPanic {
		panic("boom in init")
	}
	s.cb = ctx.Callback
	return s.initErr
}
func (s *fakeSignature) Close() { s.closed = true }
func (s *fakeSignature) OnEvent(ev protocol.Event) error {
	s.seen = append(s.seen, ev.Selector().Name+"@"+ev.Selector().Origin)
	if s.onEvent != nil {
		return s.onEvent(s.cb, ev)
	}
	return nil
}
func (s *fakeSignature) OnSignal(sig detect.Signal) error {
	s.signals = append(s.signals, sig)
	if s.onSignal != nil {
		s.onSignal()
	}
	return nil
}

func loaded(sigs ...*fakeSignature) []domain.LoadedSignature {
	out := make([]domain.LoadedSignature, 0, len(sigs))
	for _, s := range sigs {
		out = append(out, domain.LoadedSignature{Signature: s, Info: domain.SignatureInfo{
			Metadata: s.meta, Selectors: s.selectors, Origin: "test/" + s.meta.ID + ".so"}})
	}
	return out
}

func newSig(id, event string, selectors ...detect.SignatureEventSelector) *fakeSignature {
	return &fakeSignature{meta: detect.SignatureMetadata{ID: id, EventName: event, Version: "1",
		Properties: map[string]interface{}{"Severity": 3}}, selectors: selectors}
}

func sel(name, origin string) detect.SignatureEventSelector {
	return detect.SignatureEventSelector{Source: "tracee", Name: name, Origin: origin}
}

func newEngine(t *testing.T, sigs []domain.LoadedSignature, emit domain.FindingEmitter) *domain.Engine {
	t.Helper()
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	e, problems := domain.NewEngine(domain.EngineConfig{}, sigs, cat, emit, nil)
	require.Empty(t, problems)
	return e
}

func TestEngine_Dispatch_routes_by_name_and_origin(t *testing.T) {
	hostOnly := newSig("H", "host_only", sel("ptrace", "host"))
	containerOnly := newSig("C", "container_only", sel("ptrace", "container"))
	anyOrigin := newSig("A", "any_origin", sel("ptrace", "*"))
	wildcard := newSig("W", "wildcard", sel("*", "*"))
	otherSource := newSig("O", "other_source", detect.SignatureEventSelector{Source: "k8s", Name: "ptrace", Origin: "*"})
	e := newEngine(t, loaded(hostOnly, containerOnly, anyOrigin, wildcard, otherSource), nil)

	tests := []struct {
		name string
		ev   trace.Event
	}{
		{"host event", trace.Event{EventName: "ptrace"}},
		{"container event", trace.Event{EventName: "ptrace", Container: trace.Container{ID: "abc"}, ContextFlags: trace.ContextFlags{ContainerStarted: true}}},
		{"unselected event", trace.Event{EventName: "openat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			e.Dispatch(&ev)
		})
	}
	assert.Equal(t, []string{"ptrace@host"}, hostOnly.seen)
	assert.Equal(t, []string{"ptrace@container"}, containerOnly.seen)
	assert.Equal(t, []string{"ptrace@host", "ptrace@container"}, anyOrigin.seen)
	assert.Equal(t, []string{"ptrace@host", "ptrace@container", "openat@host"}, wildcard.seen)
	assert.Empty(t, otherSource.seen)
}

func TestEngine_finding_becomes_signature_event(t *testing.T) {
	sig := newSig("TRC-102", "anti_debugging", sel("ptrace", "*"))
	sig.meta.Description = "process asked to be traced"
	sig.meta.Properties["external_id"] = "T1622"
	sig.onEvent = func(cb detect.SignatureHandler, ev protocol.Event) error {
		cb(&detect.Finding{SigMetadata: sig.meta, Event: ev, Data: map[string]interface{}{"reason": "traceme"}})
		return nil
	}
	var got []trace.Event
	e := newEngine(t, loaded(sig), func(ev *trace.Event) { got = append(got, *ev) })
	trigger := trace.Event{EventName: "ptrace", EventID: 101, ProcessName: "evil", HostProcessID: 42, ReturnValue: 0,
		Args: []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "request", Type: "long"}, Value: int64(0)}}}
	e.Dispatch(&trigger)

	require.Len(t, got, 1)
	f := got[0]
	assert.Equal(t, "anti_debugging", f.EventName)
	assert.Equal(t, domain.SignatureEventIDBase, f.EventID)
	assert.Equal(t, "evil", f.ProcessName, "context is copied from the trigger")
	assert.Equal(t, 42, f.HostProcessID)
	require.NotNil(t, f.Metadata)
	assert.Equal(t, "TRC-102", f.Metadata.Properties["signatureID"])
	assert.Equal(t, "T1622", f.Metadata.Properties["external_id"])
	assert.Equal(t, "process asked to be traced", f.Metadata.Description)
	require.Len(t, f.Args, 2)
	assert.Equal(t, "reason", f.Args[0].Name)
	assert.Equal(t, "detectedFrom", f.Args[1].Name)
	from := f.Args[1].Value.(map[string]interface{})
	assert.Equal(t, "ptrace", from["name"])
	assert.Equal(t, 101, from["id"])
	assert.True(t, domain.IsSignatureEvent(&f))
	assert.False(t, domain.IsSignatureEvent(&trigger))
}

func TestEngine_recovers_panics_and_disables_repeat_offenders(t *testing.T) {
	bad := newSig("BAD", "bad", sel("ptrace", "*"))
	bad.onEvent = func(detect.SignatureHandler, protocol.Event) error { panic("nil map") }
	good := newSig("GOOD", "good", sel("ptrace", "*"))
	erring := newSig("ERR", "erring", sel("ptrace", "*"))
	erring.onEvent = func(detect.SignatureHandler, protocol.Event) error { return errors.New("bad arg") }
	cat := domain.NewCatalog(domain.SignatureEvents(loaded(bad, good, erring)))
	e, _ := domain.NewEngine(domain.EngineConfig{DisableAfterPanics: 3}, loaded(bad, good, erring), cat, nil, nil)

	for i := 0; i < 10; i++ {
		ev := trace.Event{EventName: "ptrace"}
		e.Dispatch(&ev)
	}
	assert.Len(t, bad.seen, 3, "disabled after its third panic")
	assert.Len(t, good.seen, 10, "others keep running")
	assert.Len(t, erring.seen, 10, "errors do not disable")
	assert.EqualValues(t, 3, e.Stats().Panics.Load())
	assert.EqualValues(t, 10, e.Stats().Errors.Load())
}

func TestNewEngine_drops_signatures_whose_Init_fails(t *testing.T) {
	failing := newSig("F1", "fails", sel("ptrace", "*"))
	failing.initErr = errors.New("missing data source")
	panicking := newSig("F2", "panics", sel("ptrace", "*"))
	panicking.initPanic = true
	ok := newSig("OK", "ok", sel("ptrace", "*"))
	sigs := loaded(failing, panicking, ok)
	e, problems := domain.NewEngine(domain.EngineConfig{}, sigs, domain.NewCatalog(domain.SignatureEvents(sigs)), nil, nil)

	require.Len(t, problems, 2)
	assert.Contains(t, problems[0].String(), "test/F1.so: signature F1: Init: missing data source")
	assert.Contains(t, problems[1].String(), "panic: boom in init")
	require.Len(t, e.Signatures(), 1)
	assert.Equal(t, "OK", e.Signatures()[0].Metadata.ID)
}

func TestEngine_Complete_and_Close_reach_every_signature(t *testing.T) {
	a, b := newSig("A", "a", sel("x", "*")), newSig("B", "b", sel("y", "*"))
	e := newEngine(t, loaded(a, b), nil)
	e.Complete()
	e.Close()
	for _, s := range []*fakeSignature{a, b} {
		assert.Equal(t, []detect.Signal{detect.SignalSourceComplete("tracee")}, s.signals)
		assert.True(t, s.closed)
	}
}

func TestEngine_signature_can_select_another_signatures_event(t *testing.T) {
	first := newSig("S1", "first_stage", sel("ptrace", "*"))
	first.onEvent = func(cb detect.SignatureHandler, ev protocol.Event) error {
		cb(&detect.Finding{SigMetadata: first.meta, Event: ev})
		return nil
	}
	second := newSig("S2", "second_stage", sel("first_stage", "*"))
	var names []string
	e := newEngine(t, loaded(first, second), func(ev *trace.Event) { names = append(names, ev.EventName) })
	ev := trace.Event{EventName: "ptrace"}
	e.Dispatch(&ev)
	assert.Equal(t, []string{"first_stage"}, names)
	assert.Equal(t, []string{"first_stage@host"}, second.seen)
}

func TestEngine_Dispatch_unselected_event_does_not_allocate(t *testing.T) {
	e := newEngine(t, loaded(newSig("A", "a", sel("ptrace", "*"))), nil)
	ev := &trace.Event{EventName: "openat"}
	allocs := testing.AllocsPerRun(1000, func() { e.Dispatch(ev) })
	assert.Zero(t, allocs)
}

func TestSelect(t *testing.T) {
	sig := newSig("TRC-102", "anti_debugging", sel("ptrace", "*"))
	cat := domain.NewCatalog(domain.SignatureEvents(loaded(sig)), domain.BaseEvents())
	tests := []struct {
		name     string
		in       []string
		emit     []string
		need     []string
		errMatch string
	}{
		{name: "default selects signature events and their base events", in: nil,
			emit: []string{"anti_debugging"}, need: []string{"ptrace"}},
		{name: "signatures set", in: []string{"signatures"}, emit: []string{"anti_debugging"}, need: []string{"ptrace"}},
		{name: "base event by name", in: []string{"memfd_create"}, emit: []string{"memfd_create"}, need: []string{"memfd_create"}},
		{name: "comma list and glob", in: []string{"kill,setre?id"}, emit: []string{"kill", "setregid", "setreuid"},
			need: []string{"kill", "setregid", "setreuid"}},
		{name: "typo suggests", in: []string{"anti_debuging"}, errMatch: `unknown event or set "anti_debuging"; did you mean anti_debugging?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.Select(cat, tt.in)
			if tt.errMatch != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errMatch)
				return
			}
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.emit, keys(got.Emit))
			assert.ElementsMatch(t, tt.need, keys(got.Need))
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDedupeSignatures_names_both_files(t *testing.T) {
	a := loaded(newSig("X", "ev_a"))[0]
	b := loaded(newSig("X", "ev_b"))[0]
	b.Info.Origin = "other/x.so"
	c := loaded(newSig("Y", "ev_a"))[0]
	c.Info.Origin = "third/y.so"
	kept, problems := domain.DedupeSignatures([]domain.LoadedSignature{a, b, c})
	require.Len(t, kept, 1)
	require.Len(t, problems, 2)
	assert.True(t, strings.HasPrefix(problems[0].String(), "other/x.so: signature ID \"X\" is already defined by test/X.so"), problems[0].String())
	assert.Contains(t, problems[1].String(), fmt.Sprintf("event name %q already used by test/X.so", "ev_a"))
}

// payloadSignature keeps the payload of the last event it was given.
type payloadSignature struct {
	fakeSignature
	got trace.Event
}

func (s *payloadSignature) OnEvent(ev protocol.Event) error {
	s.got = ev.Payload.(trace.Event)
	return nil
}

// A matched event reaches the signatures as a trace.Event payload equal to it, without a copy of
// the event being allocated.
func TestEngine_Dispatch_matched_event_is_not_copied(t *testing.T) {
	sig := &payloadSignature{fakeSignature: *newSig("A", "a", sel("ptrace", "*"))}
	sigs := []domain.LoadedSignature{{Signature: sig, Info: domain.SignatureInfo{Metadata: sig.meta, Selectors: sig.selectors}}}
	e := newEngine(t, sigs, nil)
	ev := &trace.Event{EventName: "ptrace", ProcessName: "gdb",
		Args: []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "request"}, Value: int64(16)}}}
	assert.True(t, e.Dispatch(ev), "offered to a signature: the caller must not reuse it")
	assert.Equal(t, *ev, sig.got)
	allocs := testing.AllocsPerRun(1000, func() { e.Dispatch(ev) })
	assert.Zero(t, allocs)
	assert.False(t, e.Dispatch(&trace.Event{EventName: "openat"}), "no signature selects openat: free to reuse")
}
