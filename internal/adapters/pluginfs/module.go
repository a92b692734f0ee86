package pluginfs

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the plugin-directory loader as the ports.SignatureLoader; it needs a Config
// and a *slog.Logger from the graph.
var Module = fx.Module("pluginfs",
	fx.Provide(fx.Annotate(New, fx.As(new(ports.SignatureLoader)))),
)
