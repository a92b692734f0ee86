package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DropAndExecute (EXT-011) reports a program run in a container from a file written in that
// container since the agent started: container drift, whatever the file is called or where it is.
// Files are known by device and inode (the exec's resolved file), so copying, renaming,
// hardlinking or running through a relative path or /proc/self/fd changes nothing.
type DropAndExecute struct {
	base
	written map[fileID]string // files opened for writing in a container -> path
	renamed map[string]bool   // "container|path" of files renamed into place in a container
}

// NewDropAndExecute returns the EXT-011 signature.
func NewDropAndExecute() *DropAndExecute {
	return &DropAndExecute{base: newBase("EXT-011", "drop_and_execute", "Program written in a container was run",
		"A container ran a program from a file written inside it after it started (not part of its image): a dropped binary or script, the drift Falco calls drop-and-execute.",
		mitre{3, "execution", "Container Administration Command", "T1609"}, "security_file_open", "security_inode_rename", "sched_process_exec").opens(opensWritten),
		written: map[fileID]string{}, renamed: map[string]bool{}}
}

func (s *DropAndExecute) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if !inContainer(ev) {
		return nil
	}
	switch ev.EventName {
	case "security_file_open":
		p, flags, ok := fileOpenArgs(ev)
		if !ok || !helpers.IsFileWrite(flags) {
			return nil
		}
		dev, _ := trace.ArgVal[uint32](ev.Args, "dev")
		inode, _ := trace.ArgVal[uint64](ev.Args, "inode")
		if inode == 0 {
			return nil
		}
		if len(s.written) >= maxTrackedProcs {
			clear(s.written)
		}
		s.written[fileID{dev, inode}] = p
	case "security_inode_rename":
		p, err := stringArg(ev, "new_path")
		if err != nil {
			return nil
		}
		if len(s.renamed) >= maxTrackedProcs {
			clear(s.renamed)
		}
		s.renamed[ev.Container.ID+"|"+p] = true
	case "sched_process_exec":
		p, _ := stringArg(ev, "pathname")
		dev, _ := trace.ArgVal[uint32](ev.Args, "dev")
		inode, _ := trace.ArgVal[uint64](ev.Args, "inode")
		written, ok := s.written[fileID{dev, inode}]
		if !ok && len(s.renamed) > 0 && s.renamed[ev.Container.ID+"|"+p] {
			written, ok = p, true
		}
		if ok {
			s.report(event, map[string]interface{}{"pathname": p, "written_as": written})
		}
	}
	return nil
}
