package sqlite

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides the embedded store (it needs a Config and a *slog.Logger) as *Store and as the
// ports.AlertSearcher; the agent adds the *Store to its outputs as an EventSink. The store is
// closed when the app stops (closing it twice is harmless).
var Module = fx.Module("sqlite",
	fx.Provide(
		newForFx,
		func(s *Store) ports.AlertSearcher { return s },
	),
)

// newForFx never fails: a store that cannot open (read-only or failing disk) must not stop the
// agent; it is replaced by a disabled store, which its output reports and counts.
func newForFx(lc fx.Lifecycle, cfg Config, log *slog.Logger) (*Store, error) {
	s, err := Open(cfg, log)
	if err != nil {
		return Disabled(cfg, err), nil
	}
	lc.Append(fx.StopHook(func(ctx context.Context) error { return s.Close(ctx) }))
	return s, nil
}
