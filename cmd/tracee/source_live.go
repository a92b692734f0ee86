package main

import (
	"errors"

	"go.uber.org/fx"
)

// liveSourceModule wires the eBPF source.
func liveSourceModule() (fx.Option, error) {
	return nil, errors.New("the live eBPF source is not built into this binary yet; use --replay FILE")
}
