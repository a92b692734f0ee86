package domain_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// watched runs first on a goroutine under the engine's watchdog until the watchdog abandons a
// call, then runs then on the test's goroutine, as the agent's new pipeline goroutine would.
func watched(t *testing.T, e *domain.Engine, bound time.Duration, first, then func()) domain.StuckCall {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	abandoned := make(chan domain.StuckCall, 1)
	go e.Watch(ctx, bound, func(s domain.StuckCall) { abandoned <- s })
	go first()
	select {
	case s := <-abandoned:
		then()
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("the stuck call was not abandoned")
		return domain.StuckCall{}
	}
}

func dispatch(e *domain.Engine, name string) func() {
	return func() { e.Dispatch(&trace.Event{EventName: name}) }
}

func TestEngine_Watch_abandons_the_call_that_does_not_return(t *testing.T) {
	tests := []struct {
		name string
		// sigs returns the signatures, the one expected stuck, and what runs before and after
		// the abandonment; release ends the stuck call when the test is over.
		setup     func(release <-chan struct{}) (sigs []*fakeSignature, first, then func(*domain.Engine), check func(*testing.T))
		wantSig   string
		wantEvent string
	}{
		{
			name: "an OnEvent",
			setup: func(release <-chan struct{}) ([]*fakeSignature, func(*domain.Engine), func(*domain.Engine), func(*testing.T)) {
				good, stuck := newSig("GOOD", "good", sel("ptrace", "*")), newSig("STUCK", "stuck", sel("ptrace", "*"))
				var calls atomic.Int32 // seen is the stuck goroutine's to write
				stuck.onEvent = func(detect.SignatureHandler, protocol.Event) error { calls.Add(1); <-release; return nil }
				after := newSig("AFTER", "after", sel("ptrace", "*"))
				return []*fakeSignature{good, stuck, after},
					func(e *domain.Engine) { dispatch(e, "ptrace")() },
					func(e *domain.Engine) { dispatch(e, "ptrace")() },
					func(t *testing.T) {
						assert.Len(t, good.seen, 2, "the signatures before it see every event")
						assert.EqualValues(t, 1, calls.Load(), "it is disabled")
						assert.Len(t, after.seen, 1, "the signatures after it see the events after the abandonment")
					}
			},
			wantSig: "STUCK", wantEvent: "ptrace",
		},
		{
			name: "an OnEvent of a finding's event, dispatched from inside another call",
			setup: func(release <-chan struct{}) ([]*fakeSignature, func(*domain.Engine), func(*domain.Engine), func(*testing.T)) {
				first := newSig("S1", "first_stage", sel("ptrace", "*"))
				first.onEvent = func(cb detect.SignatureHandler, ev protocol.Event) error {
					cb(&detect.Finding{SigMetadata: first.meta, Event: ev})
					return nil
				}
				second := newSig("S2", "second_stage", sel("first_stage", "*"))
				var calls atomic.Int32
				second.onEvent = func(detect.SignatureHandler, protocol.Event) error { calls.Add(1); <-release; return nil }
				return []*fakeSignature{first, second}, func(e *domain.Engine) { dispatch(e, "ptrace")() },
					func(e *domain.Engine) { dispatch(e, "ptrace")() },
					func(t *testing.T) {
						assert.EqualValues(t, 1, calls.Load(), "it is disabled")
					}
			},
			wantSig: "S2", wantEvent: "first_stage",
		},
		{
			name: "an OnEvent that keeps reporting findings, each dispatched and returning",
			setup: func(release <-chan struct{}) ([]*fakeSignature, func(*domain.Engine), func(*domain.Engine), func(*testing.T)) {
				first := newSig("S1", "first_stage", sel("ptrace", "*"))
				var calls atomic.Int32
				first.onEvent = func(cb detect.SignatureHandler, ev protocol.Event) error {
					calls.Add(1)
					for {
						select {
						case <-release:
							return nil
						case <-time.After(time.Millisecond):
							cb(&detect.Finding{SigMetadata: first.meta, Event: ev})
						}
					}
				}
				second := newSig("S2", "second_stage", sel("first_stage", "*"))
				return []*fakeSignature{first, second}, func(e *domain.Engine) { dispatch(e, "ptrace")() },
					func(e *domain.Engine) { dispatch(e, "ptrace")() },
					func(t *testing.T) { assert.EqualValues(t, 1, calls.Load(), "it is disabled") }
			},
			wantSig: "S1", wantEvent: "ptrace",
		},
		{
			name: "an OnSignal at the end of input",
			setup: func(release <-chan struct{}) ([]*fakeSignature, func(*domain.Engine), func(*domain.Engine), func(*testing.T)) {
				a, stuck, c := newSig("A", "a", sel("x", "*")), newSig("STUCK", "stuck", sel("x", "*")), newSig("C", "c", sel("x", "*"))
				var calls atomic.Int32
				stuck.onSignal = func() { calls.Add(1); <-release }
				return []*fakeSignature{a, stuck, c}, func(e *domain.Engine) { e.Complete() },
					func(e *domain.Engine) { e.Complete() },
					func(t *testing.T) {
						assert.Len(t, a.signals, 1)
						assert.EqualValues(t, 1, calls.Load())
						assert.Len(t, c.signals, 1, "the signatures after it are told too")
					}
			},
			wantSig: "STUCK", wantEvent: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			sigs, first, then, check := tt.setup(release)
			e := newEngine(t, loaded(sigs...), nil)
			stuck := watched(t, e, 20*time.Millisecond, func() { first(e) }, func() { then(e) })
			assert.Equal(t, tt.wantSig, stuck.Signature)
			assert.Equal(t, "test/"+tt.wantSig+".so", stuck.Origin)
			assert.Equal(t, tt.wantEvent, stuck.Event)
			assert.EqualValues(t, 1, e.Stats().Abandoned.Load())
			check(t)
		})
	}
}

// A call word changes with every call: a stream of calls that each return in time is never taken
// for one stuck call, however long the stream runs.
func TestEngine_Watch_leaves_calls_that_return_in_time(t *testing.T) {
	const bound = 200 * time.Millisecond
	slow := newSig("SLOW", "slow", sel("ptrace", "*"))
	slow.onEvent = func(detect.SignatureHandler, protocol.Event) error { time.Sleep(bound / 10); return nil }
	other := newSig("OTHER", "other", sel("ptrace", "*"))
	e := newEngine(t, loaded(slow, other), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Watch(ctx, bound, func(domain.StuckCall) { t.Error("a call that returned in time was abandoned") })
	for range 30 { // three bounds in all
		e.Dispatch(&trace.Event{EventName: "ptrace"})
	}
	e.Complete()
	require.Zero(t, e.Stats().Abandoned.Load())
	assert.Len(t, other.seen, 30)
}
