package ebpf

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the live source as ports.EventSource; it needs a Config and a *slog.Logger.
var Module = fx.Module("ebpf",
	fx.Provide(
		New,
		func(s *Source) ports.EventSource { return s },
	),
)
