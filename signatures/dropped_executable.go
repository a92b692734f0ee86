package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// DroppedExecutable (TRC-1022) reports an ELF file written inside a running container. Images
// carry their binaries; one written at run time was most likely downloaded.
type DroppedExecutable struct{ base }

// NewDroppedExecutable returns the TRC-1022 signature.
func NewDroppedExecutable() *DroppedExecutable {
	return &DroppedExecutable{newBase("TRC-1022", "dropped_executable", "New executable dropped",
		"A process in a container wrote an ELF executable to disk; container images ship their programs, so a new one at run time was probably brought in by an intruder.",
		mitre{2, "command-and-control", "Ingress Tool Transfer", "T1105"}, "magic_write").magicWrites(writesELF)}
}

func (s *DroppedExecutable) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "magic_write" || !inContainer(ev) {
		return nil
	}
	p, _ := stringArg(ev, "pathname")
	b, _ := ev.GetBytesSliceArgumentByName("bytes")
	if helpers.IsElf(b) && !helpers.IsMemoryPath(p) {
		s.report(event, map[string]interface{}{"path": p})
	}
	return nil
}
