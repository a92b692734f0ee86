package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/adapters/stdout"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// runAgent builds the agent with fx and runs it until the source ends or a signal arrives.
func runAgent(ctx context.Context, g *globalOptions, r *runOptions, st streams) error {
	log := newLogger(g.logLevel, st.err)
	sourceModule, err := eventSourceModule(r, st.in)
	if err != nil {
		return err
	}
	var agent *app.Agent
	fxApp := fx.New(
		fx.WithLogger(func() fxevent.Logger { return fxLogger(g.logLevel, log) }),
		fx.Supply(g, r, log, st),
		sourceModule,
		fx.Provide(
			provideSignatures,
			provideCatalog,
			provideSelection,
			provideSinks,
			provideAgent,
		),
		fx.Populate(&agent),
	)
	if err := fxApp.Err(); err != nil {
		return unwrapFx(err)
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := fxApp.Start(startCtx); err != nil {
		return unwrapFx(err)
	}
	runCtx, stop := signal.NotifyContext(context.WithoutCancel(ctx), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := agent.Run(runCtx)
	stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancelStop()
	if err := fxApp.Stop(stopCtx); err != nil && runErr == nil {
		runErr = err
	}
	reportStats(log, agent)
	return runErr
}

func eventSourceModule(r *runOptions, in io.Reader) (fx.Option, error) {
	if r.replay != "" {
		return fx.Options(fx.Supply(replay.Config{Path: r.replay, Strict: r.strict, Stdin: in}), replay.Module), nil
	}
	return liveSourceModule(r)
}

func provideSignatures(g *globalOptions, log *slog.Logger) (domain.LoadResult, error) {
	res := loadSignatures(context.Background(), signatureLoaders(g, log), signatureDirs(g))
	for _, p := range res.Problems {
		log.Error("signature not loaded: " + p.String())
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}
	return res, nil
}

func provideCatalog(res domain.LoadResult) *domain.Catalog {
	return domain.NewCatalog(domain.SignatureEvents(res.Signatures), domain.BaseEvents())
}

func provideSelection(cat *domain.Catalog, r *runOptions) (domain.Selection, error) {
	return domain.Select(cat, r.events)
}

func provideSinks(lc fx.Lifecycle, r *runOptions, st streams, log *slog.Logger) ([]app.NamedSink, error) {
	specs := r.outputs
	if len(specs) == 0 {
		specs = []string{"table"}
	}
	var sinks []app.NamedSink
	for _, spec := range specs {
		cfg, err := stdout.ParseSpec(spec)
		if err != nil {
			return nil, fmt.Errorf("--output %s: %w", spec, err)
		}
		s, err := stdout.New(cfg, st.out)
		if err != nil {
			return nil, fmt.Errorf("--output %s: %w", spec, err)
		}
		sinks = append(sinks, app.NamedSink{Name: spec, Sink: s})
	}
	return sinks, nil
}

func provideAgent(lc fx.Lifecycle, source ports.EventSource, cat *domain.Catalog, sel domain.Selection,
	res domain.LoadResult, sinks []app.NamedSink, log *slog.Logger) *app.Agent {
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, sinks, log)
	agent, problems := app.NewAgent(app.AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel,
		Signatures: res.Signatures, Log: log})
	for _, p := range problems {
		log.Error("signature disabled: " + p.String())
	}
	return agent
}

func reportStats(log *slog.Logger, agent *app.Agent) {
	st := agent.Engine().Stats()
	log.Info("agent stopped", "events", st.Events.Load(), "findings", st.Findings.Load(),
		"signature_errors", st.Errors.Load(), "signature_panics", st.Panics.Load(), "suppressed", agent.Stats().Suppressed)
}

func fxLogger(level string, log *slog.Logger) fxevent.Logger {
	if strings.EqualFold(level, "debug") {
		return &fxevent.SlogLogger{Logger: log}
	}
	return fxevent.NopLogger
}

// unwrapFx strips fx's wiring trace from constructor errors, which are already one clear line.
func unwrapFx(err error) error {
	var root error = err
	for {
		next := errors.Unwrap(root)
		if next == nil {
			break
		}
		root = next
	}
	return root
}
