package main

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
)

// liveSourceModule wires the eBPF source, the default when not replaying.
func liveSourceModule(r *runOptions) (fx.Option, error) {
	cfg := ebpf.Config{RingBufferBytes: r.ringBufferMiB << 20}
	return fx.Options(fx.Supply(cfg), ebpf.Module), nil
}
