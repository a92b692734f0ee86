package replay

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the replay source as the agent's event source; it needs a Config and a *slog.Logger.
var Module = fx.Module("replay",
	fx.Provide(fx.Annotate(New, fx.As(new(ports.EventSource)))),
)
