package app

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

	"github.com/seed-428f5ad7/tracee/internal/adapters/containerd"
	"github.com/seed-428f5ad7/tracee/internal/adapters/crio"
	"github.com/seed-428f5ad7/tracee/internal/adapters/docker"
	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/adapters/httpserver"
	"github.com/seed-428f5ad7/tracee/internal/adapters/opa"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Run builds the agent with fx and runs it until the source ends or a signal arrives.
// SIGHUP reloads policies, finding policies and Rego signatures; SIGUSR1 logs the stats.
func Run(ctx context.Context, cfg Config, st Streams, log *slog.Logger) error {
	if cfg.Replay != "" {
		defer TuneGCForReplay(os.Getenv)()
	}
	sourceModule, err := eventSourceModule(cfg, st.In)
	if err != nil {
		return err
	}
	outs, err := ParseOutputs(cfg.Outputs)
	if err != nil {
		return err
	}
	for _, h := range outs.Hints {
		log.Info(h)
	}
	server, err := httpserver.ParseFlags(cfg.Server)
	if err != nil {
		return err
	}
	var agent *Agent
	var reloader *Reloader
	var monitor ports.AgentMonitor
	var store *sqlite.Store
	fxApp := fx.New(
		fx.WithLogger(func() fxevent.Logger { return fxLogger(cfg.LogLevel, log) }),
		fx.Supply(cfg, log, st, outs, opa.FindingConfig{Paths: cfg.Policies, AllowUnsafe: cfg.AllowUnsafe},
			policyfile.Config{AllowUnsafe: cfg.AllowUnsafe}),
		sourceModule,
		opa.FindingModule,
		policyfile.Module,
		alertStoreModule(cfg, outs),
		containerModule(cfg, log),
		fx.Provide(
			provideLoaders,
			provideSignatures,
			provideCatalog,
			providePolicies,
			provideSelection,
			provideSinks,
			provideAgent,
			provideReloader,
			provideMonitor,
		),
		serverModule(server),
		fx.Populate(&agent, &reloader, &monitor),
		fx.Invoke(func(p optionalStore) { store = p.Store }),
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
	stopStats := statsOnSIGUSR1(log, monitor, store)
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
		reportStats(log, monitor, store, "agent stopped")
		return runErr
	case <-deadline:
		reportStats(log, monitor, store, "agent stopped before it finished")
		return fmt.Errorf("did not stop within %s of the signal (a signature or an output is stuck); exiting without finishing", shutdownBound)
	}
}

// optionalStore is the embedded alert store, when one records alerts.
type optionalStore struct {
	fx.In
	Store *sqlite.Store `optional:"true"`
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

// monitorParams are what the stats read: the live source's counters when the source is the eBPF one.
type monitorParams struct {
	fx.In
	Agent    *Agent
	Reloader *Reloader
	Source   *ebpf.Source `optional:"true"`
}

func provideMonitor(p monitorParams) ports.AgentMonitor {
	var source func() ports.SourceStats
	if p.Source != nil {
		source = func() ports.SourceStats {
			st := p.Source.Stats()
			return ports.SourceStats{Records: st.EventsRead, DecodeErrors: st.DecodeErrors, Lost: st.Lost, LostPerCPU: st.LostPerCPU}
		}
	}
	return NewMonitor(p.Agent, p.Reloader, source)
}

// serverModule runs the HTTP server (--server) for the agent's lifetime, when an endpoint is asked for.
func serverModule(cfg httpserver.Config) fx.Option {
	if !cfg.Enabled() {
		return fx.Options()
	}
	return fx.Options(fx.Supply(cfg), httpserver.Module, fx.Invoke(func(*httpserver.Server) {}))
}

// statsOnSIGUSR1 logs the counters of the source, the engine and every output on SIGUSR1
// (`kill -USR1 $(pidof tracee)`): the stats view of a running agent.
func statsOnSIGUSR1(log *slog.Logger, monitor ports.AgentMonitor, store *sqlite.Store) (stop func()) {
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
				reportStats(log, monitor, store, "stats")
			}
		}
	}()
	return func() { signal.Stop(usr1); close(quit); <-done }
}

func reloadOnSIGHUP(ctx context.Context, reloader *Reloader) (stop func()) {
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

func eventSourceModule(cfg Config, in io.Reader) (fx.Option, error) {
	if cfg.Replay != "" {
		rc := replay.Config{Path: cfg.Replay, Strict: cfg.Strict, Stdin: in}
		if cfg.Progress != nil && IsTerminal(cfg.Progress) {
			rc.Progress = newProgress(cfg.Progress, "replay "+cfg.Replay, time.Now).update
		}
		return fx.Options(fx.Supply(rc), replay.Module), nil
	}
	return liveSourceModule(cfg)
}

// alertStoreModule records alerts in the embedded store when no Elasticsearch output is set, for
// live runs (a replay records only when --alerts-db is given).
func alertStoreModule(cfg Config, outs OutputPlan) fx.Option {
	if outs.HasType("elasticsearch") || cfg.AlertsDB == "none" || (cfg.Replay != "" && cfg.AlertsDB == "") {
		return fx.Options()
	}
	return fx.Options(fx.Supply(sqlite.Config{Path: cfg.AlertsDB}), sqlite.Module)
}

// signatureLoaderSet keeps the Rego loader by its type, for reloads.
type signatureLoaderSet struct {
	all  []ports.SignatureLoader
	rego *opa.SignatureLoader
}

func provideLoaders(cfg Config, log *slog.Logger) signatureLoaderSet {
	all := SignatureLoaders(cfg, log)
	set := signatureLoaderSet{all: all}
	for _, l := range all {
		if rl, ok := l.(*opa.SignatureLoader); ok {
			set.rego = rl
		}
	}
	return set
}

func provideSignatures(loaders signatureLoaderSet, cfg Config, log *slog.Logger) domain.LoadResult {
	res := LoadSignatures(context.Background(), loaders.all, SignatureDirs(cfg))
	for _, p := range res.Problems {
		log.Error("signature not loaded: " + p.String())
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}
	return res
}

// provideCatalog knows every event; live, the eBPF source says which it cannot produce. A
// signature selecting an event that can never reach it is reported, not left silently dead.
func provideCatalog(res domain.LoadResult, cfg Config, log *slog.Logger) *domain.Catalog {
	base := domain.BaseEvents()
	if cfg.Replay == "" {
		base = ebpf.Events()
	}
	cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), base)
	for _, d := range domain.DeadSelections(cat) {
		log.Warn(d.String())
	}
	return cat
}

func readPolicies(loader *policyfile.Loader, paths []string) func(context.Context) ([]domain.Policy, error) {
	return func(ctx context.Context) ([]domain.Policy, error) { return loader.Load(ctx, paths) }
}

func providePolicies(loader *policyfile.Loader, cat *domain.Catalog, cfg Config) (*domain.Policies, error) {
	policies, err := readPolicies(loader, cfg.Policies)(context.Background())
	if err != nil {
		return nil, err
	}
	if err := domain.CheckEventsWithPolicies(cfg.Events, cfg.Scopes, len(policies)); err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		// -e filters, exclusions, tags, threat selection and --scope compile into one policy.
		_, cli, err := domain.EventFlags(cat, cfg.Events, cfg.Scopes)
		if err != nil || cli == nil {
			return domain.NewPolicies(nil), err
		}
		policies = []domain.Policy{*cli}
	}
	set, err := domain.NewPolicySet(cat, policies)
	if err != nil {
		return nil, err
	}
	return domain.NewPolicies(set), nil
}

func provideSelection(cat *domain.Catalog, policies *domain.Policies, cfg Config) (domain.Selection, error) {
	if policies.Active() {
		return policies.Current().Selection(), nil
	}
	return domain.Select(cat, cfg.Events)
}

type sinkParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Outputs   OutputPlan
	Streams   Streams
	Log       *slog.Logger
	Store     *sqlite.Store `optional:"true"`
}

// provideSinks builds every --output destination from the output registry, plus the embedded store.
func provideSinks(p sinkParams) ([]NamedSink, error) {
	built, err := BuildSinks(p.Outputs, SinkEnv{Stdout: p.Streams.Out, Log: p.Log})
	if err != nil {
		return nil, err
	}
	sinks := make([]NamedSink, 0, len(built)+1)
	for _, b := range built {
		if b.Start != nil {
			p.Lifecycle.Append(fx.StartHook(b.Start))
		}
		sinks = append(sinks, b.NamedSink)
	}
	if p.Store != nil {
		sinks = append(sinks, NamedSink{Name: "alerts-db", Sink: p.Store, AlertsOnly: true}) // it records findings only
	}
	return sinks, nil
}

// optionalContainers is the container enricher, when --enrichment container asks for one.
type optionalContainers struct {
	fx.In
	Enricher *ContainerEnricher `optional:"true"`
}

// containerModule asks the runtimes whose sockets exist who each container is (--enrichment container).
func containerModule(cfg Config, log *slog.Logger) fx.Option {
	ce := cfg.Tuning.Containers
	if !ce.Enabled {
		return fx.Options()
	}
	opts := []fx.Option{fx.Provide(provideContainerEnricher)}
	var engines docker.Configs
	for _, rs := range ce.AvailableSockets(log) {
		switch rs.Runtime {
		case "containerd":
			opts = append(opts, fx.Supply(containerd.Config{Socket: rs.Socket}), containerd.Module)
		case "crio":
			opts = append(opts, fx.Supply(crio.Config{Socket: rs.Socket}), crio.Module)
		case "docker", "podman":
			engines = append(engines, docker.Config{Socket: rs.Socket, Runtime: rs.Runtime})
		}
	}
	if len(engines) > 0 {
		opts = append(opts, fx.Supply(engines), docker.Module)
	}
	return fx.Options(opts...)
}

type containerParams struct {
	fx.In
	Lifecycle  fx.Lifecycle
	Inspectors []ports.ContainerInspector `group:"container_inspectors"`
	Log        *slog.Logger
}

func provideContainerEnricher(p containerParams) *ContainerEnricher {
	e := NewContainerEnricher(ContainerEnricherConfig{}, p.Inspectors, p.Log)
	p.Lifecycle.Append(fx.StopHook(e.Close))
	return e
}

func provideAgent(source ports.EventSource, cat *domain.Catalog, sel domain.Selection, policies *domain.Policies,
	findingPolicy ports.PolicyEvaluator, res domain.LoadResult, sinks []NamedSink, containers optionalContainers, cfg Config, log *slog.Logger) *Agent {
	outputs := NewOutputs(context.Background(), OutputConfig{QueueSize: cfg.Tuning.OutputQueue}, sinks, log)
	agent, problems := NewAgent(AgentDeps{Source: source, Outputs: outputs, Catalog: cat, Selection: sel,
		Policies: policies, Policy: findingPolicy, Signatures: res.Signatures, Log: log, FindingRate: cfg.FindingRate, Containers: containers.Enricher,
		EngineCfg: domain.EngineConfig{DataSources: res.DataSources, MaxProcesses: cfg.Tuning.MaxProcesses}})
	for _, p := range problems {
		log.Error("signature disabled: " + p.String())
	}
	return agent
}

func provideReloader(loaders signatureLoaderSet, policyLoader *policyfile.Loader, findings *opa.FindingEvaluator,
	cat *domain.Catalog, policies *domain.Policies, cfg Config, res domain.LoadResult, log *slog.Logger) *Reloader {
	steps := []ReloadStep{
		{Name: "finding policies", Run: findings.Reload},
	}
	if policies.Active() {
		steps = append(steps, PolicyReloadStep(readPolicies(policyLoader, cfg.Policies), cat, policies))
	}
	if loaders.rego != nil {
		steps = append(steps, ReloadStep{Name: "rego signatures", Run: func(ctx context.Context) error {
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
	return NewReloader(steps, res.Signatures, log)
}

// reportStats logs the same read of the counters that /metrics serves.
func reportStats(log *slog.Logger, monitor ports.AgentMonitor, store *sqlite.Store, msg string) {
	st := monitor.Stats()
	attrs := []any{"events", st.Engine.Events, "findings", st.Engine.Findings,
		"signature_errors", st.Engine.Errors, "signature_panics", st.Engine.Panics, "signature_abandoned", st.Engine.Abandoned,
		"suppressed", st.Suppressed, "storm_suppressed", st.StormSuppressed}
	if ss := st.Source; ss != nil {
		attrs = append(attrs, "kernel_records", ss.Records, "kernel_lost", ss.Lost, "kernel_lost_per_cpu", ss.LostPerCPU,
			"decode_errors", ss.DecodeErrors)
	}
	for _, o := range st.Outputs {
		v := fmt.Sprintf("written=%d dropped=%d failed=%d", o.Written, o.Dropped, o.Failed)
		if o.Closed {
			v += " closed"
		}
		attrs = append(attrs, "output_"+o.Name, v)
	}
	if store != nil { // its writer's own counts: an insert fails after the output took the alert
		ds := store.Stats()
		attrs = append(attrs, "alerts_db_store", fmt.Sprintf("recorded=%d failed=%d healed=%d", ds.Written, ds.Failed, ds.Healed))
	}
	log.Info(msg, attrs...)
}

func fxLogger(level string, log *slog.Logger) fxevent.Logger {
	if strings.EqualFold(level, "debug") {
		return &fxevent.SlogLogger{Logger: log}
	}
	return fxevent.NopLogger
}

// unwrapFx strips fx's wiring trace ("could not build arguments for function ...") from a
// constructor's error and keeps the constructor's own error whole, context included.
func unwrapFx(err error) error {
	for cur := err; cur != nil; cur = errors.Unwrap(cur) {
		msg := cur.Error()
		if strings.Contains(msg, "could not build") || strings.Contains(msg, "failed to build") ||
			strings.Contains(msg, "received non-nil error from function") || strings.Contains(msg, "missing dependencies") ||
			strings.Contains(msg, "fx.") || strings.Contains(msg, "go.uber.org/") {
			continue
		}
		return cur
	}
	return err
}

// liveSourceModule wires the eBPF source, the default when not replaying. With policies, the
// scope filters the kernel can evaluate (uid, pid, comm, namespaces) are pushed into BPF maps so
// that events no policy can match never reach userspace.
func liveSourceModule(cfg Config) (fx.Option, error) {
	return fx.Options(
		fx.Provide(func(policies *domain.Policies, sel domain.Selection, res domain.LoadResult, log *slog.Logger) ebpf.Config {
			src := ebpf.Config{RingBufferBytes: cfg.RingBufferBytes, Ready: func() { releaseStartupMemory(log, SignatureDirs(cfg)) }}
			if cfg.Tuning.RingBufferBytes > 0 {
				src.RingBufferBytes = cfg.Tuning.RingBufferBytes
			}
			if policies.Active() {
				scope := policies.Current().KernelScope()
				src.Scope = &scope
			}
			if oi, ok := domain.OpenInterestOf(res.Signatures, sel); ok {
				src.OpenInterest = &oi
			}
			if mi, ok := domain.MagicInterestOf(res.Signatures, sel); ok {
				src.MagicInterest = &mi
			}
			return src
		}),
		ebpf.Module,
	), nil
}
