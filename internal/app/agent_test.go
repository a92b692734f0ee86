package app_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/mocks"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// traceMeSignature reports every ptrace event: a minimal real signature for app tests.
type traceMeSignature struct{ cb detect.SignatureHandler }

var traceMeMeta = detect.SignatureMetadata{ID: "TRC-102", EventName: "anti_debugging", Version: "1",
	Properties: map[string]interface{}{"Severity": 3}}

func (s *traceMeSignature) GetMetadata() (detect.SignatureMetadata, error) { return traceMeMeta, nil }
func (s *traceMeSignature) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}, nil
}
func (s *traceMeSignature) Init(ctx detect.SignatureContext) error { s.cb = ctx.Callback; return nil }
func (s *traceMeSignature) Close()                                 {}
func (s *traceMeSignature) OnSignal(detect.Signal) error           { return nil }
func (s *traceMeSignature) OnEvent(ev protocol.Event) error {
	s.cb(&detect.Finding{SigMetadata: traceMeMeta, Event: ev})
	return nil
}

func setup(t *testing.T, events []string, policy *mocks.PolicyEvaluator, sink *mocks.EventSink, emitted []trace.Event) *app.Agent {
	t.Helper()
	return setupWith(t, events, policy, sink, func(sel domain.Selection) ports.EventSource {
		source := mocks.NewEventSource(t)
		source.EXPECT().Run(mock.Anything, sel, mock.Anything).RunAndReturn(
			func(_ context.Context, _ domain.Selection, emit func(*trace.Event)) error {
				for i := range emitted {
					ev := emitted[i]
					emit(&ev)
				}
				return nil
			})
		return source
	})
}

// setupWith is setup with the source source(selection) returns.
func setupWith(t *testing.T, events []string, policy *mocks.PolicyEvaluator, sink *mocks.EventSink,
	source func(domain.Selection) ports.EventSource) *app.Agent {
	t.Helper()
	sig := &traceMeSignature{}
	sigs := []domain.LoadedSignature{{Signature: sig, Info: domain.SignatureInfo{Metadata: traceMeMeta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, events)
	require.NoError(t, err)
	var sinks []app.NamedSink
	if sink != nil {
		sinks = append(sinks, app.NamedSink{Name: "mock", Sink: sink})
	}
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, sinks, slog.New(slog.DiscardHandler))
	deps := app.AgentDeps{Source: source(sel), Outputs: outputs, Catalog: cat, Selection: sel, Signatures: sigs}
	if policy != nil {
		deps.Policy = policy
	}
	agent, problems := app.NewAgent(deps)
	require.Empty(t, problems)
	return agent
}

// recordingSink expects Write calls and records the event names, in order.
func recordingSink(t *testing.T) (*mocks.EventSink, func() []string) {
	sink := mocks.NewEventSink(t)
	var mu sync.Mutex
	var names []string
	sink.EXPECT().Write(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, ev *trace.Event) error {
		mu.Lock()
		defer mu.Unlock()
		names = append(names, ev.EventName)
		return nil
	}).Maybe()
	sink.EXPECT().Flush(mock.Anything).Return(nil).Maybe()
	sink.EXPECT().Close(mock.Anything).Return(nil).Once()
	return sink, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), names...) }
}

func TestAgent_Run_prints_findings_but_not_their_base_events(t *testing.T) {
	sink, written := recordingSink(t)
	agent := setup(t, nil, nil, sink, []trace.Event{{EventName: "ptrace"}, {EventName: "ptrace"}})
	require.NoError(t, agent.Run(context.Background()))
	assert.Equal(t, []string{"anti_debugging", "anti_debugging"}, written())
}

func TestAgent_Run_prints_selected_base_events_too(t *testing.T) {
	sink, written := recordingSink(t)
	agent := setup(t, []string{"ptrace,anti_debugging"}, nil, sink, []trace.Event{{EventName: "ptrace"}})
	require.NoError(t, agent.Run(context.Background()))
	assert.Equal(t, []string{"ptrace", "anti_debugging"}, written())
}

func TestAgent_Run_applies_the_finding_policy(t *testing.T) {
	tests := []struct {
		name    string
		verdict domain.Verdict
		err     error
		want    []string
	}{
		{"kept", domain.Verdict{}, nil, []string{"anti_debugging"}},
		{"suppressed", domain.Verdict{Suppress: true, Reason: "gdb may ptrace"}, nil, nil},
		{"policy error keeps the finding", domain.Verdict{}, errors.New("eval failed"), []string{"anti_debugging"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink, written := recordingSink(t)
			policy := mocks.NewPolicyEvaluator(t)
			policy.EXPECT().EvaluateFinding(mock.Anything, mock.MatchedBy(func(ev *trace.Event) bool {
				return ev.EventName == "anti_debugging"
			})).Return(tt.verdict, tt.err).Once()
			agent := setup(t, nil, policy, sink, []trace.Event{{EventName: "ptrace"}})
			require.NoError(t, agent.Run(context.Background()))
			assert.Equal(t, tt.want, written())
		})
	}
}

func TestOutputs_slow_sink_drops_base_events_and_counts_them(t *testing.T) {
	release := make(chan struct{})
	sink := mocks.NewEventSink(t)
	sink.EXPECT().Write(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *trace.Event) error {
		<-release
		return nil
	})
	sink.EXPECT().Flush(mock.Anything).Return(nil).Maybe()
	sink.EXPECT().Close(mock.Anything).Return(nil)
	out := app.NewOutputs(context.Background(), app.OutputConfig{QueueSize: 2, AlertWait: time.Millisecond},
		[]app.NamedSink{{Name: "slow", Sink: sink}}, slog.New(slog.DiscardHandler))
	for i := 0; i < 10; i++ {
		out.Write(&trace.Event{EventName: "openat"})
	}
	close(release)
	require.NoError(t, out.Close(context.Background()))
	st := out.Stats()[0]
	assert.EqualValues(t, 10, st.Written+st.Dropped, "every event is either written or counted as dropped")
	assert.GreaterOrEqual(t, st.Dropped, uint64(7), "the engine never waited on the blocked sink")
}

// With --enrichment container, the only event of a new container fires a finding before the
// runtime answers: the finding waits (bounded) for the lookup under way and carries the container's
// name, image and pod; the base event itself was not held.
func TestAgent_finding_of_a_new_container_carries_its_identity(t *testing.T) {
	id := "4a1f0e5c2b7d9e3f6a8c1b0d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f"
	inspector := mocks.NewContainerInspector(t)
	inspector.EXPECT().Inspect(mock.Anything, id).RunAndReturn(func(context.Context, string) (domain.ContainerInfo, error) {
		time.Sleep(50 * time.Millisecond) // the runtime answers after the event reached the engine
		return domain.ContainerInfo{ID: id, Name: "web", Image: "nginx:1.27", ImageDigest: "sha256:3ed6", Runtime: "containerd",
			Pod: domain.PodInfo{Name: "web-1", Namespace: "shop", UID: "uid-1"}}, nil
	}).Once()
	enricher := app.NewContainerEnricher(app.ContainerEnricherConfig{}, []ports.ContainerInspector{inspector}, nil)
	defer enricher.Close()

	sig := &traceMeSignature{}
	sigs := []domain.LoadedSignature{{Signature: sig, Info: domain.SignatureInfo{Metadata: traceMeMeta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, nil)
	require.NoError(t, err)
	source := mocks.NewEventSource(t)
	source.EXPECT().Run(mock.Anything, sel, mock.Anything).RunAndReturn(
		func(_ context.Context, _ domain.Selection, emit func(*trace.Event)) error {
			emit(&trace.Event{EventName: "ptrace", ContainerID: id, Container: trace.Container{ID: id}})
			return nil
		})
	sink := mocks.NewEventSink(t)
	var got []trace.Event
	var mu sync.Mutex
	sink.EXPECT().Write(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, ev *trace.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, *ev)
		return nil
	})
	sink.EXPECT().Flush(mock.Anything).Return(nil).Maybe()
	sink.EXPECT().Close(mock.Anything).Return(nil).Once()
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, []app.NamedSink{{Name: "mock", Sink: sink}}, slog.New(slog.DiscardHandler))
	agent, problems := app.NewAgent(app.AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel, Signatures: sigs,
		Containers: enricher})
	require.Empty(t, problems)
	require.NoError(t, agent.Run(context.Background()))
	require.Len(t, got, 1)
	assert.Equal(t, "anti_debugging", got[0].EventName)
	assert.Equal(t, trace.Container{ID: id, Name: "web", ImageName: "nginx:1.27", ImageDigest: "sha256:3ed6"}, got[0].Container)
	assert.Equal(t, trace.Kubernetes{PodName: "web-1", PodNamespace: "shop", PodUID: "uid-1"}, got[0].Kubernetes)
}

// recyclingSource emits events and keeps what the agent hands back (ports.EventRecycler).
type recyclingSource struct {
	events   []*trace.Event
	recycled []*trace.Event
}

func (s *recyclingSource) Run(_ context.Context, _ domain.Selection, emit func(*trace.Event)) error {
	for _, ev := range s.events {
		emit(ev)
	}
	return nil
}

func (s *recyclingSource) Recycle(evs []*trace.Event) { s.recycled = append(s.recycled, evs...) }

var _ ports.EventRecycler = (*recyclingSource)(nil)

func TestAgent_Run_hands_back_only_events_nothing_kept(t *testing.T) {
	tests := []struct {
		name         string
		events       []string
		noOutputs    bool
		wantRecycled int
	}{
		// ptrace goes to a signature (which sees the event itself): never handed back
		{"openat neither printed nor for a signature", nil, false, 2},
		{"openat printed", []string{"openat,anti_debugging"}, false, 0},
		{"openat selected, no output (-o none)", []string{"openat,anti_debugging"}, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var written []*trace.Event
			var sink *mocks.EventSink
			if !tt.noOutputs {
				sink = mocks.NewEventSink(t)
				sink.EXPECT().Write(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, ev *trace.Event) error {
					mu.Lock()
					defer mu.Unlock()
					written = append(written, ev)
					return nil
				}).Maybe()
				sink.EXPECT().Flush(mock.Anything).Return(nil).Maybe()
				sink.EXPECT().Close(mock.Anything).Return(nil).Once()
			}
			source := &recyclingSource{events: []*trace.Event{
				{EventName: "ptrace", ProcessName: "gdb", HostProcessID: 7},
				{EventName: "openat", ProcessName: "cat", HostProcessID: 8},
				{EventName: "ptrace", ProcessName: "gdb", HostProcessID: 9},
				{EventName: "openat", ProcessName: "cat", HostProcessID: 10},
			}}
			agent := setupWith(t, tt.events, nil, sink, func(domain.Selection) ports.EventSource { return source })
			require.NoError(t, agent.Run(context.Background()))
			require.Len(t, source.recycled, tt.wantRecycled)
			for _, ev := range source.recycled {
				assert.Equal(t, "openat", ev.EventName)
			}
			// The source overwrites what it got back: nothing written may change with it.
			for _, ev := range source.recycled {
				*ev = trace.Event{EventName: "overwritten", ProcessName: "overwritten"}
			}
			mu.Lock()
			defer mu.Unlock()
			var findings int
			for _, ev := range written {
				assert.NotEqual(t, "overwritten", ev.EventName)
				if ev.EventName == "anti_debugging" {
					assert.Equal(t, "gdb", ev.ProcessName)
					findings++
				}
			}
			if !tt.noOutputs {
				assert.Equal(t, 2, findings)
			}
		})
	}
}
