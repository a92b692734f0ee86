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
	"sync"
	"syscall"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/adapters/opa"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/adapters/stdout"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// runAgent builds the agent with fx and runs it until the source ends or a signal arrives.
// SIGHUP reloads policies, finding policies and Rego signatures.
func runAgent(ctx context.Context, g *globalOptions, r *runOptions, st streams) error {
	log := newLogger(g.logLevel, st.err)
	sourceModule, err := eventSourceModule(r, st.in)
	if err != nil {
		return err
	}
	outs, err := parseOutputs(r)
	if err != nil {
		return err
	}
	var agent *app.Agent
	var reloader *app.Reloader
	var stats sourceStats
	fxApp := fx.New(
		fx.WithLogger(func() fxevent.Logger { return fxLogger(g.logLevel, log) }),
		fx.Supply(g, r, log, st, outs, opa.FindingConfig{Paths: r.policies, AllowUnsafe: g.allowUnsafePlugins},
			policyfile.Config{AllowUnsafe: g.allowUnsafePlugins}),
		sourceModule,
		opa.FindingModule,
		policyfile.Module,
		alertStoreModule(r, outs),
		fx.Provide(
			provideLoaders,
			provideSignatures,
			provideCatalog,
			providePolicies,
			provideSelection,
			provideSinks,
			provideAgent,
			provideReloader,
		),
		fx.Populate(&agent, &reloader, &stats),
	)
	if err := fxApp.Err(); err != nil {
		return unwrapFx(err)
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := fxApp.Start(startCtx); err != nil {
		return unwrapFx(err)
	}
	// A reader that goes away (`tracee ... | head -1`) must close the stdout output only: with
	// SIGPIPE ignored, the write returns EPIPE instead of the runtime killing the agent.
	signal.Ignore(syscall.SIGPIPE)
	runCtx, stop := signal.NotifyContext(context.WithoutCancel(ctx), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopReload := reloadOnSIGHUP(runCtx, reloader)
	stopStats := statsOnSIGUSR1(log, agent, stats)
	// Once SIGTERM or SIGINT arrives, everything below has shutdownBound: a plugin stuck in Close or an
	// output that does not drain cannot keep the agent alive.
	deadline, stopDeadline := shutdownDeadline(runCtx, shutdownBound)
	defer stopDeadline()
	runDone := make(chan error, 1)
	go func() {
		err := agent.Run(runCtx)
		stopReload()
		stopStats()
		stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		defer cancelStop()
		if serr := fxApp.Stop(stopCtx); serr != nil && err == nil {
			err = serr
		}
		runDone <- err
	}()
	select {
	case runErr := <-runDone:
		reportStats(log, agent, stats, "agent stopped")
		return runErr
	case <-deadline:
		reportStats(log, agent, stats, "agent stopped before it finished")
		return fmt.Errorf("did not stop within %s of the signal (a signature or an output is stuck); exiting without finishing", shutdownBound)
	}
}

// shutdownBound is how long the agent may take to stop after SIGTERM or SIGINT: outputs get 30s of
// it to flush (outputCloseTimeout in internal/app), then whatever is still running is left behind.
const shutdownBound = 40 * time.Second

// shutdownDeadline returns a channel closed bound after ctx ends (the signal), and a stop function.
func shutdownDeadline(ctx context.Context, bound time.Duration) (<-chan struct{}, func()) {
	deadline, quit := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-quit:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(bound)
		defer t.Stop()
		select {
		case <-quit:
		case <-t.C:
			close(deadline)
		}
	}()
	var once sync.Once
	return deadline, func() { once.Do(func() { close(quit) }) }
}

// sourceStats is the live source's counters, when the source is the eBPF one.
type sourceStats struct {
	fx.In
	Source *ebpf.Source  `optional:"true"`
	Store  *sqlite.Store `optional:"true"`
}

// statsOnSIGUSR1 logs the counters of the source, the engine and every output on SIGUSR1
// (`kill -USR1 $(pidof tracee)`): the stats view of a running agent.
func statsOnSIGUSR1(log *slog.Logger, agent *app.Agent, src sourceStats) (stop func()) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-usr1:
				reportStats(log, agent, src, "stats")
			}
		}
	}()
	return func() { signal.Stop(usr1); close(quit); <-done }
}

func reloadOnSIGHUP(ctx context.Context, reloader *app.Reloader) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-quit:
				return
			case <-hup:
				_ = reloader.Reload(ctx) // each failing part is logged and keeps its old version
			}
		}
	}()
	return func() { signal.Stop(hup); close(quit); <-done }
}

func eventSourceModule(r *runOptions, in io.Reader) (fx.Option, error) {
	if r.replay != "" {
		return fx.Options(fx.Supply(replay.Config{Path: r.replay, Strict: r.strict, Stdin: in}), replay.Module), nil
	}
	return liveSourceModule(r)
}

// outputSpecs are the parsed --output values.
type outputSpecs struct {
	printers      []stdout.Config
	names         []string
	elasticsearch *elasticsearch.Config
}

func parseOutputs(r *runOptions) (outputSpecs, error) {
	var o outputSpecs
	specs := r.outputs
	if len(specs) == 0 {
		specs = []string{"table"}
	}
	for _, spec := range specs {
		if strings.HasPrefix(spec, elasticsearch.OutputScheme+":") {
			if o.elasticsearch != nil {
				return o, fmt.Errorf("--output: one Elasticsearch output at most (a cluster takes every alert once)")
			}
			cfg, err := elasticsearch.ParseOutputSpec(spec)
			if err != nil {
				return o, fmt.Errorf("--output: %w", err)
			}
			o.elasticsearch = &cfg
			continue
		}
		if spec == "none" {
			continue
		}
		cfg, err := stdout.ParseSpec(spec)
		if err != nil {
			return o, fmt.Errorf("--output %s: %w", spec, err)
		}
		o.printers = append(o.printers, cfg)
		o.names = append(o.names, spec)
	}
	return o, nil
}

// alertStoreModule records alerts in the embedded store when no Elasticsearch output is set, for
// live runs (a replay records only when --alerts-db is given).
func alertStoreModule(r *runOptions, outs outputSpecs) fx.Option {
	if outs.elasticsearch != nil || r.alertsDB == "none" || (r.replay != "" && r.alertsDB == "") {
		return fx.Options()
	}
	return fx.Options(fx.Supply(sqlite.Config{Path: r.alertsDB}), sqlite.Module)
}

// signatureLoaderSet keeps the Rego loader by its type, for reloads.
type signatureLoaderSet struct {
	all  []ports.SignatureLoader
	rego *opa.SignatureLoader
}

func provideLoaders(g *globalOptions, log *slog.Logger) signatureLoaderSet {
	all := signatureLoaders(g, log)
	set := signatureLoaderSet{all: all}
	for _, l := range all {
		if rl, ok := l.(*opa.SignatureLoader); ok {
			set.rego = rl
		}
	}
	return set
}

func provideSignatures(loaders signatureLoaderSet, g *globalOptions, log *slog.Logger) domain.LoadResult {
	res := loadSignatures(context.Background(), loaders.all, signatureDirs(g))
	for _, p := range res.Problems {
		log.Error("signature not loaded: " + p.String())
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}
	return res
}

func provideCatalog(res domain.LoadResult) *domain.Catalog {
	return domain.NewCatalog(domain.SignatureEvents(res.Signatures), domain.BaseEvents())
}

func readPolicies(loader *policyfile.Loader, paths []string) func(context.Context) ([]domain.Policy, error) {
	return func(ctx context.Context) ([]domain.Policy, error) { return loader.Load(ctx, paths) }
}

func providePolicies(loader *policyfile.Loader, cat *domain.Catalog, r *runOptions) (*domain.Policies, error) {
	policies, err := readPolicies(loader, r.policies)(context.Background())
	if err != nil {
		return nil, err
	}
	if err := domain.CheckEventsWithPolicies(r.events, nil, len(policies)); err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		return domain.NewPolicies(nil), nil
	}
	set, err := domain.NewPolicySet(cat, policies)
	if err != nil {
		return nil, err
	}
	return domain.NewPolicies(set), nil
}

func provideSelection(cat *domain.Catalog, policies *domain.Policies, r *runOptions) (domain.Selection, error) {
	if policies.Active() {
		return policies.Current().Selection(), nil
	}
	return domain.Select(cat, r.events)
}

type sinkParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Outputs   outputSpecs
	Streams   streams
	Log       *slog.Logger
	Store     *sqlite.Store `optional:"true"`
}

func provideSinks(p sinkParams) ([]app.NamedSink, error) {
	var sinks []app.NamedSink
	for i, cfg := range p.Outputs.printers {
		s, err := stdout.New(cfg, p.Streams.out)
		if err != nil {
			return nil, fmt.Errorf("--output %s: %w", p.Outputs.names[i], err)
		}
		sinks = append(sinks, app.NamedSink{Name: p.Outputs.names[i], Sink: s})
	}
	if cfg := p.Outputs.elasticsearch; cfg != nil {
		s, err := elasticsearch.New(*cfg, p.Log)
		if err != nil {
			return nil, fmt.Errorf("--output elasticsearch: %w", err)
		}
		p.Lifecycle.Append(fx.StartHook(s.Start))
		// durable: the engine moves on only once an alert is in the spool (kill -9 loses nothing)
		sinks = append(sinks, app.NamedSink{Name: "elasticsearch", Sink: s, Durable: true})
	}
	if p.Store != nil {
		sinks = append(sinks, app.NamedSink{Name: "alerts-db", Sink: p.Store})
	}
	return sinks, nil
}

func provideAgent(source ports.EventSource, cat *domain.Catalog, sel domain.Selection, policies *domain.Policies,
	findingPolicy ports.PolicyEvaluator, res domain.LoadResult, sinks []app.NamedSink, log *slog.Logger) *app.Agent {
	outputs := app.NewOutputs(context.Background(), app.OutputConfig{}, sinks, log)
	agent, problems := app.NewAgent(app.AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel,
		Policies: policies, Policy: findingPolicy, Signatures: res.Signatures, Log: log})
	for _, p := range problems {
		log.Error("signature disabled: " + p.String())
	}
	return agent
}

func provideReloader(loaders signatureLoaderSet, policyLoader *policyfile.Loader, findings *opa.FindingEvaluator,
	cat *domain.Catalog, policies *domain.Policies, r *runOptions, res domain.LoadResult, log *slog.Logger) *app.Reloader {
	steps := []app.ReloadStep{
		{Name: "finding policies", Run: findings.Reload},
	}
	if policies.Active() {
		steps = append(steps, app.PolicyReloadStep(readPolicies(policyLoader, r.policies), cat, policies))
	}
	if loaders.rego != nil {
		steps = append(steps, app.ReloadStep{Name: "rego signatures", Run: func(ctx context.Context) error {
			rep, err := loaders.rego.Reload(ctx)
			if err != nil {
				return err
			}
			var errs []error
			for _, p := range rep.Problems {
				errs = append(errs, errors.New(p.String()))
			}
			return errors.Join(errs...)
		}})
	}
	return app.NewReloader(steps, res.Signatures, log)
}

func reportStats(log *slog.Logger, agent *app.Agent, src sourceStats, msg string) {
	st := agent.Engine().Stats()
	attrs := []any{"events", st.Events.Load(), "findings", st.Findings.Load(),
		"signature_errors", st.Errors.Load(), "signature_panics", st.Panics.Load(), "signature_abandoned", st.Abandoned.Load(), "suppressed", agent.Stats().Suppressed}
	if src.Source != nil {
		ss := src.Source.Stats()
		attrs = append(attrs, "kernel_records", ss.EventsRead, "kernel_lost", ss.Lost, "kernel_lost_per_cpu", ss.LostPerCPU,
			"decode_errors", ss.DecodeErrors)
	}
	if src.Store != nil { // its writer's own counts: an insert fails after the output took the alert
		ds := src.Store.Stats()
		attrs = append(attrs, "alerts_db_store", fmt.Sprintf("recorded=%d failed=%d healed=%d", ds.Written, ds.Failed, ds.Healed))
	}
	for _, o := range agent.Outputs().Stats() {
		v := fmt.Sprintf("written=%d dropped=%d failed=%d", o.Written, o.Dropped, o.Failed)
		if o.Closed {
			v += " closed"
		}
		attrs = append(attrs, "output_"+o.Name, v)
	}
	log.Info(msg, attrs...)
}

func fxLogger(level string, log *slog.Logger) fxevent.Logger {
	if strings.EqualFold(level, "debug") {
		return &fxevent.SlogLogger{Logger: log}
	}
	return fxevent.NopLogger
}

// unwrapFx strips fx's wiring trace from constructor errors, which are already one clear line.
func unwrapFx(err error) error {
	root := err
	for {
		next := errors.Unwrap(root)
		if next == nil {
			return root
		}
		root = next
	}
}
