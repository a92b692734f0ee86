package app_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// feedSource emits what is sent on events until the channel is closed (then returns err) or ctx ends.
type feedSource struct {
	events chan trace.Event
	err    error
}

func (s *feedSource) Run(ctx context.Context, _ domain.Selection, emit func(*trace.Event)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-s.events:
			if !ok {
				return s.err
			}
			emit(&ev)
		}
	}
}

// discardSink accepts everything.
type discardSink struct{}

func (discardSink) Write(context.Context, *trace.Event) error { return nil }
func (discardSink) Flush(context.Context) error               { return nil }
func (discardSink) Close(context.Context) error               { return nil }

func feedAgent(t *testing.T, src ports.EventSource, events []string, stallAfter time.Duration) *app.Agent {
	t.Helper()
	sig := &traceMeSignature{}
	sigs := []domain.LoadedSignature{{Signature: sig, Info: domain.SignatureInfo{Metadata: traceMeMeta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, events)
	require.NoError(t, err)
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, []app.NamedSink{{Name: "discard", Sink: discardSink{}}},
		slog.New(slog.DiscardHandler))
	agent, problems := app.NewAgent(app.AgentDeps{Source: src, Outputs: outputs, Catalog: cat, Selection: sel,
		Signatures: sigs, StallAfter: stallAfter})
	require.Empty(t, problems)
	return agent
}

func TestAgent_Stats_counts_events_findings_and_outputs(t *testing.T) {
	src := &feedSource{events: make(chan trace.Event, 10)}
	for _, name := range []string{"ptrace", "ptrace", "ptrace", "openat"} {
		src.events <- trace.Event{EventName: name}
	}
	close(src.events)
	agent := feedAgent(t, src, []string{"anti_debugging,openat"}, 0)
	require.NoError(t, agent.Run(context.Background()))

	st := app.NewMonitor(agent, nil, nil).Stats()
	assert.EqualValues(t, 4, st.Events)
	assert.Equal(t, map[string]uint64{"ptrace": 3, "openat": 1}, st.EventsByName)
	assert.EqualValues(t, 4, st.Engine.Events)
	assert.EqualValues(t, 3, st.Engine.Findings)
	assert.Equal(t, 1, st.Engine.Signatures)
	assert.Equal(t, []ports.FindingCount{{SignatureID: "TRC-102", Severity: "3", Count: 3}}, st.Findings)
	require.Len(t, st.Outputs, 1)
	assert.EqualValues(t, 4, st.Outputs[0].Written, "3 findings and the selected openat")
	assert.Equal(t, 65536, st.Outputs[0].QueueSize)
	assert.Nil(t, st.Source, "no kernel source")
}

func TestMonitor_Stats_reads_source_and_reloads(t *testing.T) {
	src := &feedSource{events: make(chan trace.Event)}
	close(src.events)
	agent := feedAgent(t, src, nil, 0)
	reloader := app.NewReloader([]app.ReloadStep{
		{Name: "policies", Run: func(context.Context) error { return nil }},
		{Name: "rego signatures", Run: func(context.Context) error { return errors.New("bad rego") }},
	}, nil, slog.New(slog.DiscardHandler))
	_ = reloader.Reload(context.Background())
	_ = reloader.Reload(context.Background())
	mon := app.NewMonitor(agent, reloader, func() ports.SourceStats {
		return ports.SourceStats{Records: 7, Lost: 3, LostPerCPU: []uint64{1, 2}}
	})
	st := mon.Stats()
	require.NotNil(t, st.Source)
	assert.EqualValues(t, 3, st.Source.Lost)
	assert.Equal(t, []ports.ReloadCount{{Part: "policies", Result: "ok", Count: 2}, {Part: "rego signatures", Result: "failed", Count: 2}}, st.Reloads)
}

// TestMonitor_Stats_is_race_free_while_the_agent_runs reads every counter while events flow; run it
// with -race.
func TestMonitor_Stats_is_race_free_while_the_agent_runs(t *testing.T) {
	src := &feedSource{events: make(chan trace.Event)}
	agent := feedAgent(t, src, []string{"anti_debugging,openat"}, 0)
	mon := app.NewMonitor(agent, nil, nil)
	done := make(chan error)
	go func() { done <- agent.Run(context.Background()) }()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					st := mon.Stats()
					_ = st.EventsByName["ptrace"]
					_ = mon.Health(time.Now())
				}
			}
		}()
	}
	names := []string{"ptrace", "openat", "execve", "ptrace"}
	for i := 0; i < 2000; i++ {
		src.events <- trace.Event{EventName: names[i%len(names)]}
	}
	close(src.events)
	require.NoError(t, <-done)
	close(stop)
	wg.Wait()
	st := mon.Stats()
	assert.EqualValues(t, 2000, st.Events)
	assert.EqualValues(t, 1000, st.EventsByName["ptrace"])
	assert.EqualValues(t, 1000, st.Engine.Findings)
	assert.EqualValues(t, 2000/app.DispatchSampleEvery, st.DispatchLatency.Count, "one event in DispatchSampleEvery is timed")
}

func TestAgent_Health(t *testing.T) {
	t0 := time.Now()
	t.Run("not started", func(t *testing.T) {
		agent := feedAgent(t, &feedSource{events: make(chan trace.Event)}, nil, time.Second)
		assert.EqualError(t, agent.Health(t0), "agent not started")
	})
	t.Run("moves, then stalls", func(t *testing.T) {
		src := &feedSource{events: make(chan trace.Event)}
		agent := feedAgent(t, src, nil, time.Second)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- agent.Run(ctx) }()
		received := func(n uint64) func() bool { return func() bool { return agent.Stats().Events == n } }
		src.events <- trace.Event{EventName: "ptrace"}
		require.Eventually(t, received(1), 5*time.Second, time.Millisecond)
		now := time.Now()
		assert.NoError(t, agent.Health(now), "an event arrived")
		assert.NoError(t, agent.Health(now.Add(900*time.Millisecond)), "within the limit")
		err := agent.Health(now.Add(2 * time.Second))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "pipeline stalled: no event received for 2s (limit 1s, 1 events since start)")
		src.events <- trace.Event{EventName: "ptrace"}
		require.Eventually(t, received(2), 5*time.Second, time.Millisecond)
		assert.NoError(t, agent.Health(now.Add(3*time.Second)), "moves again")
		cancel()
		require.NoError(t, <-done)
		assert.EqualError(t, agent.Health(now), "event source ended")
	})
	t.Run("source failed", func(t *testing.T) {
		src := &feedSource{events: make(chan trace.Event), err: errors.New("ring buffer closed")}
		close(src.events)
		agent := feedAgent(t, src, nil, time.Second)
		require.Error(t, agent.Run(context.Background()))
		assert.EqualError(t, agent.Health(t0), "event source stopped: ring buffer closed")
	})
}
