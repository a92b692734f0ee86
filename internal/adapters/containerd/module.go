package containerd

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides an Inspector (it needs a Config) into the "container_inspectors" group; its
// connection is closed when the app stops.
var Module = fx.Module("containerd",
	fx.Provide(fx.Annotate(
		func(lc fx.Lifecycle, cfg Config) (ports.ContainerInspector, error) {
			in, err := New(cfg)
			if err != nil {
				return nil, err
			}
			lc.Append(fx.StopHook(in.Close))
			return in, nil
		},
		fx.ResultTags(`group:"container_inspectors"`),
	)),
)
