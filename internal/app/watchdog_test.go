package app_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
	"github.com/seed-428f5ad7/tracee/mocks"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// stuckSignature never returns from its first OnEvent (until released), like a plugin that sleeps.
type stuckSignature struct {
	meta    detect.SignatureMetadata
	release chan struct{}
	calls   atomic.Int32
}

func (s *stuckSignature) GetMetadata() (detect.SignatureMetadata, error) { return s.meta, nil }
func (s *stuckSignature) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}, nil
}
func (s *stuckSignature) Init(detect.SignatureContext) error { return nil }
func (s *stuckSignature) Close()                             {}
func (s *stuckSignature) OnSignal(detect.Signal) error       { return nil }
func (s *stuckSignature) OnEvent(protocol.Event) error {
	s.calls.Add(1)
	<-s.release
	return nil
}

func TestAgent_a_stuck_signature_is_abandoned_and_detection_goes_on(t *testing.T) {
	const n = 100
	tests := []struct {
		name   string
		source func(t *testing.T, sel domain.Selection) ports.EventSource
	}{
		{"events one by one", func(t *testing.T, sel domain.Selection) ports.EventSource {
			source := mocks.NewEventSource(t)
			source.EXPECT().Run(mock.Anything, sel, mock.Anything).RunAndReturn(
				func(_ context.Context, _ domain.Selection, emit func(*trace.Event)) error {
					for i := 0; i < n; i++ {
						emit(&trace.Event{EventName: "ptrace", HostProcessID: i})
					}
					return nil
				})
			return source
		}},
		// The stuck call is the first of a pulled batch: the replacement pipeline finishes it,
		// then pulls the next batches itself (never while the abandoned one pulls).
		{"events pulled in batches", func(t *testing.T, sel domain.Selection) ports.EventSource {
			source := mocks.NewPullSource(t)
			batches := &sliceBatches{t: t, n: n, size: 7}
			source.EXPECT().Open(mock.Anything, sel).Return(batches, nil)
			t.Cleanup(func() { assert.True(t, batches.closed.Load(), "the run is closed") })
			return source
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { stuckSignatureRun(t, n, tt.source) })
	}
}

// sliceBatches hands out n ptrace events in batches of size (ports.EventBatches) and fails the
// test if two goroutines pull at once.
type sliceBatches struct {
	t          *testing.T
	n, size, i int
	pulling    atomic.Bool
	closed     atomic.Bool
}

func (b *sliceBatches) Next(_ context.Context, buf []*trace.Event) ([]*trace.Event, error) {
	if !b.pulling.CompareAndSwap(false, true) {
		b.t.Error("two goroutines pull at once")
	}
	defer b.pulling.Store(false)
	for ; b.i < b.n && len(buf) < b.size; b.i++ {
		buf = append(buf, &trace.Event{EventName: "ptrace", HostProcessID: b.i})
	}
	return buf, nil
}

func (b *sliceBatches) Close() error {
	b.closed.Store(true)
	return nil
}

func stuckSignatureRun(t *testing.T, n int, newSource func(*testing.T, domain.Selection) ports.EventSource) {
	stuck := &stuckSignature{release: make(chan struct{}),
		meta: detect.SignatureMetadata{ID: "STUCK-1", EventName: "stuck_sig", Version: "1"}}
	defer close(stuck.release)
	counting := &traceMeSignature{}
	sigs := []domain.LoadedSignature{
		{Signature: counting, Info: domain.SignatureInfo{Metadata: traceMeMeta,
			Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}},
		{Signature: stuck, Info: domain.SignatureInfo{Metadata: stuck.meta, Origin: "/opt/sigs/stuck.so",
			Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}},
	}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, nil)
	require.NoError(t, err)
	source := newSource(t, sel)
	sink, written := recordingSink(t)
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, []app.NamedSink{{Name: "mock", Sink: sink}}, log)
	agent, problems := app.NewAgent(app.AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel,
		Signatures: sigs, CallBound: 50 * time.Millisecond, Log: log})
	require.Empty(t, problems)

	done := make(chan error, 1)
	go func() { done <- agent.Run(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("one stuck signature froze the agent")
	}
	assert.Len(t, written(), n, "the other signature saw every event")
	assert.EqualValues(t, 1, stuck.calls.Load(), "the stuck signature is disabled")
	st := agent.Engine().Stats()
	assert.EqualValues(t, 1, st.Abandoned.Load())
	line := logs.String()
	assert.Equal(t, 1, strings.Count(line, "signature call did not return"), line)
	assert.Contains(t, line, "signature=STUCK-1")
	assert.Contains(t, line, "event=ptrace")
	assert.Contains(t, line, "origin=/opt/sigs/stuck.so")
	assert.Regexp(t, `running=\d+`, line)
}
