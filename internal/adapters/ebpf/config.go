// Package ebpf is the live event source: CO-RE programs from bpf/ attached to tracepoints and
// tp_btf hooks, a ring buffer read and decoded into trace.Event values with Tracee v0.24.1's
// names, IDs and argument types.
//
// Every x86-64 syscall is an event whose arguments are encoded by their Go type (syscallConf in
// hooks.go). Up to 40 selected syscall events sent at the exit get their own syscalls:sys_exit_X
// tracepoint; more share the tp_btf sys_exit, which filters on syscall_confs in the kernel (fast
// to attach and detach). Every entry program is tail-called by the one tp_btf sys_enter program.
// The security_* events Tracee takes from LSM kprobes (refused on the target kernels) are rebuilt
// from syscall tracepoints; Events() says, per event, why one cannot be produced.
package ebpf

import (
	"fmt"
	"time"

	"github.com/cilium/ebpf"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Config tunes the source. The zero value takes the defaults.
type Config struct {
	// RingBufferBytes is the size of the kernel ring buffer, rounded up to a power of two
	// (default DefaultRingBufferBytes).
	RingBufferBytes int
	// WakeupBytes is how much must be pending before the kernel wakes the reader; below it the
	// reader polls every PollInterval (default RingBufferBytes/16).
	WakeupBytes int
	// PollInterval bounds the latency of an event when the ring is quiet (default 50ms).
	PollInterval time.Duration
	// StatsInterval is how often drops are checked and logged when nonzero (default 10s).
	StatsInterval time.Duration
	// ProcRoot is where procfs is mounted (default /proc).
	ProcRoot string
	// Scope, when set, is the policies' kernel scope (domain.PolicySet.KernelScope): events no
	// policy can match are dropped in the kernel, the others carry MatchedPoliciesKernel.
	Scope *domain.KernelScope
	// OpenInterest, when set, is what the selected signatures can match of security_file_open
	// (domain.OpenInterestOf): every other open is dropped in the kernel before its event is
	// built. Nil sends every open.
	OpenInterest *domain.OpenInterest
	// MagicInterest, when set, is what the selected signatures can match of magic_write
	// (domain.MagicInterestOf): every other write is dropped in the kernel on its length and first
	// bytes, before its file is looked up. Nil sends every magic_write.
	MagicInterest *domain.MagicInterest
	// Ready, when set, is called once the programs are attached and the ring buffer is open,
	// just before the first read: start-up is over.
	Ready func()

	// editSpec, when set, changes the BPF object before it is loaded (tests: a program the
	// kernel refuses).
	editSpec func(*ebpf.CollectionSpec)
}

// DefaultRingBufferBytes is the default ring buffer size, the one place it is set (the
// --ring-buffer-mb default reads it). The reader maps the ring's data twice (the kernel's layout for
// records that wrap), so each MiB costs 2 MB of the agent's RSS; 8 MiB is what Tracee's default
// (1024 pages per CPU) gives a 2-CPU machine.
const DefaultRingBufferBytes = 8 << 20

func (c Config) withDefaults() (Config, error) {
	if c.RingBufferBytes == 0 {
		c.RingBufferBytes = DefaultRingBufferBytes
	}
	if c.RingBufferBytes < 4096 {
		return c, fmt.Errorf("ebpf: ring buffer of %d bytes is too small (at least 4096)", c.RingBufferBytes)
	}
	size := 4096
	for size < c.RingBufferBytes {
		size <<= 1
	}
	c.RingBufferBytes = size
	if c.WakeupBytes <= 0 {
		c.WakeupBytes = c.RingBufferBytes / 16
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	if c.StatsInterval <= 0 {
		c.StatsInterval = 10 * time.Second
	}
	if c.ProcRoot == "" {
		c.ProcRoot = "/proc"
	}
	return c, nil
}
