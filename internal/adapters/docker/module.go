package docker

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Configs are the Engine API sockets to ask (Docker's, Podman's).
type Configs []Config

// Module provides an Inspector per Config (it needs Configs) into the "container_inspectors" group.
var Module = fx.Module("docker",
	fx.Provide(fx.Annotate(
		func(cfgs Configs) []ports.ContainerInspector {
			out := make([]ports.ContainerInspector, 0, len(cfgs))
			for _, c := range cfgs {
				out = append(out, New(c))
			}
			return out
		},
		fx.ResultTags(`group:"container_inspectors,flatten"`),
	)),
)
