package app_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// loopSource emits the same few events n times over, as fast as the agent takes them.
type loopSource struct {
	n      int
	events []trace.Event
}

func (s *loopSource) Run(_ context.Context, _ domain.Selection, emit func(*trace.Event)) error {
	for i := 0; i < s.n; i++ {
		ev := s.events[i%len(s.events)]
		emit(&ev)
	}
	return nil
}

// BenchmarkAgent_Run measures the agent's own cost per event (selection, counters, sampled
// latency) around one signature that selects none of the events, with no output written.
func BenchmarkAgent_Run(b *testing.B) {
	sigs := []domain.LoadedSignature{{Signature: &traceMeSignature{}, Info: domain.SignatureInfo{Metadata: traceMeMeta,
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}}}}
	cat := domain.NewCatalog(domain.SignatureEvents(sigs), domain.BaseEvents())
	sel, err := domain.Select(cat, nil)
	if err != nil {
		b.Fatal(err)
	}
	src := &loopSource{n: b.N, events: []trace.Event{{EventName: "openat"}, {EventName: "execve"}, {EventName: "security_file_open"}}}
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, nil, slog.New(slog.DiscardHandler))
	agent, _ := app.NewAgent(app.AgentDeps{Source: src, Outputs: outputs, Catalog: cat, Selection: sel, Signatures: sigs})
	b.ReportAllocs()
	b.ResetTimer()
	if err := agent.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}
