package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// HiddenFileCreated (TRC-1015) reports an executable hidden behind a dot-name: an ELF written to
// such a file (magic_write, as in Tracee) or a program started from one (sched_process_exec, which
// the live source always has).
type HiddenFileCreated struct{ base }

// NewHiddenFileCreated returns the TRC-1015 signature.
func NewHiddenFileCreated() *HiddenFileCreated {
	return &HiddenFileCreated{newBase("TRC-1015", "hidden_file_created", "Hidden executable creation detected",
		"An executable was written to, or run from, a file whose name starts with a dot, which ls and most file browsers do not show.",
		mitre{2, "defense-evasion", "Hidden Files and Directories", "T1564.001"}, "magic_write", "sched_process_exec").magicWrites(writesELF)}
}

func (s *HiddenFileCreated) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	switch ev.EventName {
	case "magic_write":
		p, _ := stringArg(ev, "pathname")
		if !isHiddenName(p) {
			return nil
		}
		b, _ := ev.GetBytesSliceArgumentByName("bytes")
		if helpers.IsElf(b) {
			s.report(event, map[string]interface{}{"pathname": p})
		}
	case "sched_process_exec":
		if p, _ := stringArg(ev, "pathname"); isHiddenName(p) {
			s.report(event, map[string]interface{}{"pathname": p})
		}
	}
	return nil
}

func isHiddenName(p string) bool {
	b := baseName(p)
	return len(b) > 1 && b[0] == '.' && b != ".."
}
