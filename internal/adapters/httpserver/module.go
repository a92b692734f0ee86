package httpserver

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the *Server from a Config, a ports.AgentMonitor and a *slog.Logger, and ties
// its Start and Stop to the fx lifecycle. The root asks for *Server to have it run.
var Module = fx.Module("httpserver", fx.Provide(newWithLifecycle))

func newWithLifecycle(lc fx.Lifecycle, cfg Config, mon ports.AgentMonitor, log *slog.Logger) (*Server, error) {
	s, err := New(cfg, mon, log)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StartStopHook(s.Start, s.Stop))
	return s, nil
}
