package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/adapters/stdout"
	"github.com/seed-428f5ad7/tracee/internal/adapters/webhook"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// SinkEnv is what a sink factory may use.
type SinkEnv struct {
	Stdout io.Writer
	Log    *slog.Logger
}

// BuiltSink is a sink and, for sinks with background work, the function that starts it.
type BuiltSink struct {
	NamedSink
	Start func(context.Context) error
}

// SinkFactory builds the sink of one destination.
type SinkFactory func(d Destination, env SinkEnv) (BuiltSink, error)

// sinkFactories is the output registry, keyed by destination type: a new output is one adapter
// package and one line here.
var sinkFactories = map[string]SinkFactory{
	"file":          fileSink,
	"webhook":       webhookSink,
	"elasticsearch": elasticsearchSink,
}

// BuildSinks builds every planned destination, naming the one that fails.
func BuildSinks(plan OutputPlan, env SinkEnv) ([]BuiltSink, error) {
	var out []BuiltSink
	for _, d := range plan.Destinations {
		f, ok := sinkFactories[d.Type]
		if !ok {
			return nil, fmt.Errorf("--output %s: no output of type %q in this build", d.Name, d.Type)
		}
		s, err := f(d, env)
		if err != nil {
			return nil, fmt.Errorf("--output %s: %w", d.Name, err)
		}
		if plan.SortEvents && !s.Durable { // a durable sink must hold nothing back
			s.Sink = newSortingSink(s.Sink)
		}
		out = append(out, s)
	}
	return out, nil
}

func fileSink(d Destination, env SinkEnv) (BuiltSink, error) {
	cfg := stdout.Config{Format: stdout.Format(d.Format)}
	if t, ok := strings.CutPrefix(d.Format, "gotemplate="); ok {
		cfg = stdout.Config{Format: stdout.FormatGoTemplate, Template: t}
	}
	if d.Path != "stdout" && d.Path != "-" {
		cfg.Path = d.Path
	}
	s, err := stdout.New(cfg, env.Stdout)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return BuiltSink{}, fmt.Errorf("%w; fix: create its directory or choose another path", err)
	case errors.Is(err, fs.ErrPermission):
		return BuiltSink{}, fmt.Errorf("%w; fix: choose a path this user may write, or run as root", err)
	case err != nil:
		return BuiltSink{}, err
	}
	return BuiltSink{NamedSink: NamedSink{Name: d.Name, Sink: s}}, nil
}

func webhookSink(d Destination, env SinkEnv) (BuiltSink, error) {
	cfg, err := webhook.ParseURL(d.URL)
	if err != nil {
		return BuiltSink{}, err
	}
	cfg.Name = d.Name
	if t, ok := strings.CutPrefix(d.Format, "gotemplate="); ok {
		cfg.Format, cfg.Template = webhook.FormatGoTemplate, t
	}
	s, err := webhook.New(cfg, env.Log)
	if err != nil {
		return BuiltSink{}, err
	}
	return BuiltSink{NamedSink: NamedSink{Name: d.Name, Sink: s, Spool: s.SpoolStats}}, nil
}

func elasticsearchSink(d Destination, env SinkEnv) (BuiltSink, error) {
	cfg, err := elasticsearch.ParseOutputSpec(d.URL)
	if err != nil {
		return BuiltSink{}, err
	}
	s, err := elasticsearch.New(cfg, env.Log)
	if err != nil {
		return BuiltSink{}, err
	}
	spool := func() ports.SpoolStats {
		st := s.Stats()
		return ports.SpoolStats{Indexed: st.Indexed, Spooled: st.Spooled, Retried: st.Retried, Evicted: st.Evicted,
			DeadLettered: st.DeadLettered, Bytes: st.SpoolBytes, Down: st.Down}
	}
	// durable: the engine moves on only once an alert is in the spool (kill -9 loses nothing)
	return BuiltSink{NamedSink: NamedSink{Name: "elasticsearch", Sink: s, Spool: spool, Durable: true}, Start: s.Start}, nil
}
