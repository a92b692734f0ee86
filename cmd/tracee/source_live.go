package main

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// liveSourceModule wires the eBPF source, the default when not replaying. With policies, the
// scope filters the kernel can evaluate (uid, pid, comm, namespaces) are pushed into BPF maps so
// that events no policy can match never reach userspace.
func liveSourceModule(r *runOptions) (fx.Option, error) {
	return fx.Options(
		fx.Provide(func(policies *domain.Policies) ebpf.Config {
			cfg := ebpf.Config{RingBufferBytes: r.ringBufferMiB << 20}
			if policies.Active() {
				scope := policies.Current().KernelScope()
				cfg.Scope = &scope
			}
			return cfg
		}),
		ebpf.Module,
	), nil
}
