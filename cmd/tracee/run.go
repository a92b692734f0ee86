package main

import (
	"context"

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
	}
}

func appStreams(st streams) app.Streams { return app.Streams{In: st.in, Out: st.out, Err: st.err} }

// runAgent runs the agent until the source ends or a signal arrives.
func runAgent(ctx context.Context, g *globalOptions, r *runOptions, st streams) error {
	return app.Run(ctx, appConfig(g, r), appStreams(st), newLogger(g.logLevel, st.err))
}
