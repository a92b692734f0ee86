package main

import (
	"context"
	"fmt"

	"github.com/seed-428f5ad7/tracee/internal/app"
)

// appConfig maps the flags (after --config was applied to them) onto the app's configuration.
// r may be nil for commands that only need the global flags.
func appConfig(g *globalOptions, r *runOptions) app.Config {
	if r == nil {
		r = &runOptions{}
	}
	return app.Config{
		SignatureDirs:   g.signatureDirs,
		AllowUnsafe:     g.allowUnsafePlugins,
		LogLevel:        g.logLevel,
		Events:          r.events,
		Scopes:          r.scopes,
		Policies:        r.policies,
		Outputs:         r.outputs,
		Server:          r.servers,
		Replay:          r.replay,
		Strict:          r.strict,
		AlertsDB:        r.alertsDB,
		RingBufferBytes: r.ringBufferMiB << 20,
		FindingRate:     r.findingRate,
	}
}

func appStreams(st streams) app.Streams { return app.Streams{In: st.in, Out: st.out, Err: st.err} }

// runAgent runs the agent until the source ends or a signal arrives.
func runAgent(ctx context.Context, g *globalOptions, r *runOptions, st streams) error {
	hints := oldSpellings(g, r)
	if len(r.oldLog) > 0 { // --log values were added to --logging after PersistentPreRunE read it
		if err := applyLogging(g); err != nil {
			return err
		}
	}
	log, err := app.NewLogger(g.logOpts, st.err)
	if err != nil {
		return err
	}
	for _, h := range hints {
		log.Info(h)
	}
	cfg := appConfig(g, r)
	tuning, err := app.ParseTuning(r.buffers, r.stores, r.enrichment, r.capabilities, r.artifacts, r.detectors)
	if err != nil {
		return err
	}
	for _, n := range tuning.Notes {
		log.Info(n)
	}
	cfg.Tuning = tuning
	cfg.Progress = st.err
	if r.dryRun {
		return app.Check(ctx, cfg, st.out, log)
	}
	return app.Run(ctx, cfg, appStreams(st), log)
}

// oldSpellings maps Tracee v0.24's flags onto the current ones and says so, one line each.
func oldSpellings(g *globalOptions, r *runOptions) []string {
	var hints []string
	if len(r.oldLog) > 0 {
		g.logging = append(g.logging, r.oldLog...)
		hints = append(hints, "--log is Tracee v0.24's spelling; now: --logging")
	}
	if len(r.oldCapture) > 0 {
		r.artifacts = append(r.artifacts, r.oldCapture...)
		hints = append(hints, "--capture is Tracee v0.24's spelling; now: --artifacts")
	}
	if r.oldContainers {
		r.enrichment = append(r.enrichment, "container")
		hints = append(hints, "--containers is Tracee v0.24's spelling; now: --enrichment container")
	}
	if r.oldPerfBufferSize > 0 {
		r.buffers = append(r.buffers, fmt.Sprintf("kernel.events=%d", r.oldPerfBufferSize))
		hints = append(hints, "--perf-buffer-size is Tracee v0.24's spelling; now: --buffers kernel.events=PAGES")
	}
	return hints
}
