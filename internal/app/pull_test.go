package app_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/mocks"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// failingBatches hands out n ptrace events in batches of 3, then fails.
type failingBatches struct {
	n, i   int
	err    error
	closed bool
}

func (b *failingBatches) Next(_ context.Context, buf []*trace.Event) ([]*trace.Event, error) {
	for ; b.i < b.n && len(buf) < 3; b.i++ {
		buf = append(buf, &trace.Event{EventName: "ptrace", HostProcessID: b.i})
	}
	if len(buf) == 0 {
		return nil, b.err
	}
	return buf, nil
}

func (b *failingBatches) Close() error {
	b.closed = true
	return nil
}

// A source the pipeline pulls from: what it fails with, at Open or at Next, is what Run returns,
// after every event pulled before the fault went through detection.
func TestAgent_pulled_source_faults_end_the_run(t *testing.T) {
	broken := errors.New("ring buffer: record past the producer position")
	tests := []struct {
		name     string
		openErr  error
		batches  *failingBatches
		findings int
	}{
		{"open fails", broken, nil, 0},
		{"next fails after 10 events", nil, &failingBatches{n: 10, err: broken}, 10},
		{"the source ends", nil, &failingBatches{n: 10}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := []domain.LoadedSignature{{Signature: &traceMeSignature{}, Info: domain.SignatureInfo{Metadata: traceMeMeta,
				Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
			cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
			sel, err := domain.Select(cat, nil)
			require.NoError(t, err)
			source := mocks.NewPullSource(t)
			if tt.batches != nil {
				source.EXPECT().Open(mock.Anything, sel).Return(tt.batches, nil)
			} else {
				source.EXPECT().Open(mock.Anything, sel).Return(nil, tt.openErr)
			}
			var sink *mocks.EventSink
			written := func() []string { return nil }
			if tt.findings > 0 {
				sink, written = recordingSink(t)
			} else {
				sink = mocks.NewEventSink(t)
				sink.EXPECT().Close(mock.Anything).Return(nil)
			}
			log := slog.New(slog.DiscardHandler)
			outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, []app.NamedSink{{Name: "mock", Sink: sink}}, log)
			agent, problems := app.NewAgent(app.AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel,
				Signatures: sigs, CallBound: time.Second, Log: log})
			require.Empty(t, problems)
			err = agent.Run(context.Background())
			if tt.openErr != nil || tt.batches.err != nil {
				assert.ErrorIs(t, err, broken)
			} else {
				assert.NoError(t, err)
			}
			if tt.batches != nil {
				assert.True(t, tt.batches.closed, "the run is closed")
				assert.Len(t, written(), tt.findings, "every event pulled before the fault was detected on")
			}
		})
	}
}
