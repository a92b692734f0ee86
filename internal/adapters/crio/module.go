package crio

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Module provides an Inspector (it needs a Config) into the "container_inspectors" group.
var Module = fx.Module("crio",
	fx.Provide(fx.Annotate(
		func(cfg Config) ports.ContainerInspector { return New(cfg) },
		fx.ResultTags(`group:"container_inspectors"`),
	)),
)
