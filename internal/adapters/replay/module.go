package replay

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the replay source as the agent's event source; it needs a Config, the event
// catalog (to report unknown event names) and a *slog.Logger.
var Module = fx.Module("replay",
	fx.Provide(fx.Annotate(newWithCatalog, fx.As(new(ports.EventSource)))),
)

func newWithCatalog(cfg Config, cat *domain.Catalog, log *slog.Logger) *Source {
	cfg.Catalog = cat
	return New(cfg, log)
}
