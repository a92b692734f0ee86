package signatures

import (
	"os"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

const bpfProgLoad = 5 // BPF_PROG_LOAD

// BpfProgramLoad (EXT-007) reports an eBPF program loaded by a process other than this agent,
// systemd and the container runtimes. eBPF programs run in the kernel and can read any memory or
// hide activity.
type BpfProgramLoad struct {
	base
	self int // the agent's PID: signatures run inside the agent
}

// NewBpfProgramLoad returns the EXT-007 signature.
func NewBpfProgramLoad() *BpfProgramLoad {
	return &BpfProgramLoad{base: newBase("EXT-007", "bpf_program_load", "eBPF program loaded by another process",
		"A process other than this agent, systemd and the container runtimes loaded an eBPF program into the kernel; eBPF rootkits use this to read secrets and hide processes, files and connections.",
		mitre{2, "defense-evasion", "Rootkit", "T1014"}, "bpf")}
}

func (s *BpfProgramLoad) Init(ctx detect.SignatureContext) error {
	s.self = os.Getpid()
	return s.base.Init(ctx)
}

func (s *BpfProgramLoad) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "bpf" || ev.HostProcessID == s.self {
		return nil
	}
	if cmd, err := intArg(ev, "cmd"); err != nil || cmd != bpfProgLoad {
		return nil
	}
	// systemd's cgroup firewalls, container runtimes' device filters (by executable path)
	if trustedExe(ev, isBPFLoader) {
		return nil
	}
	s.report(event, map[string]interface{}{"command": "BPF_PROG_LOAD", "return value": ev.ReturnValue})
	return nil
}

var isBPFLoader = nameIn("systemd", "tracee", "runc", "crun", "youki")
