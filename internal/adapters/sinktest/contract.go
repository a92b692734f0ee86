// Package sinktest is the contract every ports.EventSink must honour, run by each sink's tests
// against a real instance (a file, an SQLite store, an Elasticsearch cluster or its stand-in).
package sinktest

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/alertstest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Harness is one sink under test and a way to read back what reached its destination.
type Harness struct {
	Sink ports.EventSink
	// Recorded returns the HostProcessID of every alert the destination holds, in any order.
	// The suite calls it after Close.
	Recorded func(t *testing.T) []int
}

// NewHarness returns a new sink on an empty destination.
type NewHarness func(t *testing.T) Harness

// Run runs the contract.
func Run(t *testing.T, newHarness NewHarness) {
	ctx := context.Background()
	start := time.Now().Add(-time.Hour)

	t.Run("close delivers every alert written", func(t *testing.T) {
		h := newHarness(t)
		evs := alertstest.Events(start, 50, time.Second)
		for i, ev := range evs {
			require.NoError(t, h.Sink.Write(ctx, ev))
			if i == 20 {
				require.NoError(t, h.Sink.Flush(ctx))
			}
		}
		require.NoError(t, h.Sink.Close(ctx))
		assert.ElementsMatch(t, pids(evs), h.Recorded(t))
	})

	t.Run("write does not modify the event", func(t *testing.T) {
		h := newHarness(t)
		ev := alertstest.Events(start, 1, time.Second)[0]
		before := clone(t, ev)
		require.NoError(t, h.Sink.Write(ctx, ev))
		require.NoError(t, h.Sink.Flush(ctx))
		assert.True(t, reflect.DeepEqual(before, ev), "the sink changed the event it was given")
		require.NoError(t, h.Sink.Close(ctx))
	})

	t.Run("an event that does not encode breaks nothing", func(t *testing.T) {
		h := newHarness(t)
		evs := alertstest.Events(start, 3, time.Second)
		bad := clone(t, evs[1])
		bad.Args = append(bad.Args, trace.Argument{ArgMeta: trace.ArgMeta{Name: "nan"}, Value: math.NaN()})
		require.NoError(t, h.Sink.Write(ctx, evs[0]))
		if err := h.Sink.Write(ctx, bad); err != nil {
			assert.ErrorIs(t, err, domain.ErrEventRejected, "a bad event is rejected alone, not as a broken output")
		}
		require.NoError(t, h.Sink.Write(ctx, evs[2]))
		require.NoError(t, h.Sink.Close(ctx))
		got := h.Recorded(t)
		assert.Contains(t, got, evs[0].HostProcessID)
		assert.Contains(t, got, evs[2].HostProcessID)
	})

	t.Run("close twice, and write after close, do not panic", func(t *testing.T) {
		h := newHarness(t)
		require.NoError(t, h.Sink.Close(ctx))
		_ = h.Sink.Close(ctx)
		_ = h.Sink.Write(ctx, alertstest.Events(start, 1, time.Second)[0])
		assert.NotContains(t, h.Recorded(t), 1000, "nothing written after Close is recorded")
	})
}

func pids(evs []*trace.Event) []int {
	out := make([]int, len(evs))
	for i, ev := range evs {
		out[i] = ev.HostProcessID
	}
	return out
}

// clone deep-copies an event (its arguments and metadata), so the original can be compared.
func clone(t *testing.T, ev *trace.Event) *trace.Event {
	t.Helper()
	c := *ev
	c.Args = append([]trace.Argument(nil), ev.Args...)
	for i, a := range c.Args {
		if m, ok := a.Value.(map[string]interface{}); ok {
			mc := make(map[string]interface{}, len(m))
			for k, v := range m {
				mc[k] = v
			}
			c.Args[i].Value = mc
		}
	}
	if ev.Metadata != nil {
		md := *ev.Metadata
		md.Properties = make(map[string]interface{}, len(ev.Metadata.Properties))
		for k, v := range ev.Metadata.Properties {
			md.Properties[k] = v
		}
		c.Metadata = &md
	}
	if ev.MatchedPolicies != nil {
		c.MatchedPolicies = append([]string(nil), ev.MatchedPolicies...)
	}
	return &c
}
