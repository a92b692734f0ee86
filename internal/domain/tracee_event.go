package domain

//go:generate go run ../tools/eventgen -tracefs /sys/kernel/tracing -o events_gen.go

// TraceeEvent is one event definition of Tracee v0.24.1 (pkg/events), as generated into events_gen.go.
type TraceeEvent struct {
	ID         int
	Name       string
	Syscall    bool // a syscall event: ID is the x86-64 syscall number
	KernelOnly bool // a syscall this kernel has that Tracee v0.24.1 does not define
	Sets       []string
	Params     []TraceeParam
	Probes     []TraceeProbe // the probes Tracee attaches for it (required ones first), for "why unavailable"
}

// TraceeParam is one argument of a TraceeEvent.
type TraceeParam struct{ Name, Type, Decode string } // Type: Tracee's Go type name ("int32", "string", "trace.Pointer", "SockAddr", ...); Decode: Tracee's DecodeAs without "data." ("INT_T")

// TraceeProbe is one probe Tracee attaches for a TraceeEvent.
type TraceeProbe struct {
	Handle   string
	Kind     string
	Target   string
	Required bool
} // Kind: "tracepoint", "raw_tracepoint", "kprobe", "kretprobe", "uprobe", ...; Target: the kernel symbol or tracepoint

// TraceeEvents returns the generated table of Tracee v0.24.1's events, sorted by ID.
func TraceeEvents() []TraceeEvent { return traceeEvents }
