package elasticsearch

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the sink as a ports.EventSink from a Config and a *slog.Logger, and ties its
// Start and Close to the fx lifecycle.
var Module = fx.Module("elasticsearch",
	fx.Provide(
		fx.Annotate(newWithLifecycle, fx.As(new(ports.EventSink)), fx.As(fx.Self())),
	),
)

func newWithLifecycle(lc fx.Lifecycle, cfg Config, log *slog.Logger) (*Sink, error) {
	s, err := New(cfg, log)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StartStopHook(s.Start, s.Close))
	return s, nil
}
