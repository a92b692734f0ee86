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
	sig := &traceMeSignature{}
	sigs := []domain.LoadedSignature{{Signature: sig, Info: domain.SignatureInfo{Metadata: traceMeMeta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, events)
	require.NoError(t, err)
	source := mocks.NewEventSource(t)
	source.EXPECT().Run(mock.Anything, sel, mock.Anything).RunAndReturn(
		func(_ context.Context, _ domain.Selection, emit func(*trace.Event)) error {
			for i := range emitted {
				ev := emitted[i]
				emit(&ev)
			}
			return nil
		})
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, []app.NamedSink{{Name: "mock", Sink: sink}}, slog.New(slog.DiscardHandler))
	deps := app.AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel, Signatures: sigs}
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
