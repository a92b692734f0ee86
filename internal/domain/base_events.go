package domain

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// IDs of the non-syscall events the live source builds itself, in Tracee v0.24.1's numbering
// (pkg/events). TestBaseEventIDs checks each against the generated table; the BPF enum event_id
// is checked against these by the eBPF adapter's tests.
const (
	EventSchedProcessFork      = 714
	EventSchedProcessExec      = 715
	EventSchedProcessExit      = 716
	EventMemProtAlert          = 724
	EventMagicWrite            = 727
	EventSecurityFileOpen      = 732
	EventSecuritySocketCreate  = 734
	EventSecuritySocketListen  = 735
	EventSecuritySocketConnect = 736
	EventSecuritySocketAccept  = 737
	EventSecuritySocketBind    = 738
	EventSecuritySbMount       = 740
	EventSecurityInodeSymlink  = 746
	EventSocketDup             = 749
	EventSecurityInodeRename   = 768
	EventDoTruncate            = 775
)

// LastTraceeSyscall is the highest x86-64 syscall number Tracee v0.24.1 defines; its syscall IDs
// above it are 32-bit-only syscalls that a 64-bit task cannot make.
const LastTraceeSyscall = 448

// KernelOnlyIDBase numbers the events of syscalls this kernel has that Tracee lacks, when their
// syscall number is already the ID of one of Tracee's (32-bit-only) syscall events.
const KernelOnlyIDBase = 10000

// TypeTime is the Go type Tracee declares for boot-time arguments it converts to epoch ns. Tracee's
// own JSON decoder refuses that type name, so events carry these values as uint64 (their Go type).
const TypeTime = "time.Time"

// BaseEvents returns every event Tracee v0.24.1 defines, and every syscall this kernel has that
// Tracee lacks, as catalog definitions: IDs, names, sets and arguments (names, order and Go types)
// come from the generated table (events_gen.go). Which of them a source can produce is the
// source's business (EventDefinition.Unavailable).
func BaseEvents() []EventDefinition {
	rows := TraceeEvents()
	taken := make(map[int]bool, len(rows))
	for _, r := range rows {
		if !r.KernelOnly {
			taken[r.ID] = true
		}
	}
	out := make([]EventDefinition, 0, len(rows))
	for _, r := range rows {
		d := EventDefinition{ID: r.ID, Name: r.Name, Kind: KindOther, Sets: r.Sets, Nr: -1,
			KernelOnly: r.KernelOnly, Probes: r.Probes}
		if d.Sets == nil {
			d.Sets = []string{}
		}
		switch {
		case r.KernelOnly:
			d.Kind, d.Nr = KindSyscall, r.ID
			if taken[r.ID] {
				d.ID = KernelOnlyIDBase + r.ID
			}
			d.Sets = []string{"syscalls"}
		case r.Syscall && r.ID <= LastTraceeSyscall:
			d.Kind, d.Nr = KindSyscall, r.ID
		case r.Syscall && r.ID < 700:
			d.Kind = KindSyscall
			d.Unavailable = "a 32-bit-only syscall: this agent traces 64-bit tasks' syscalls"
		case strings.HasPrefix(r.Name, "net_packet") || strings.HasPrefix(r.Name, "net_flow"):
			d.Kind = KindNetwork
		}
		d.Params = make([]trace.ArgMeta, len(r.Params))
		for i, p := range r.Params {
			t := p.Type
			if t == TypeTime {
				t = "uint64"
			}
			d.Params[i] = trace.ArgMeta{Name: p.Name, Type: t}
		}
		out = append(out, d)
	}
	return out
}
