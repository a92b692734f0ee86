package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// DiskMount (TRC-1014) reports a container mounting a host block device, which exposes the host's
// file system to the container.
type DiskMount struct{ base }

// NewDiskMount returns the TRC-1014 signature.
func NewDiskMount() *DiskMount {
	return &DiskMount{newBase("TRC-1014", "disk_mount", "Container device mount detected",
		"A process in a container mounted a device from /dev; with a privileged container this gives access to the host's disks and a way out of the container.",
		mitre{3, "privilege-escalation", "Escape to Host", "T1611"}, "security_sb_mount")}
}

func (s *DiskMount) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if ev.EventName != "security_sb_mount" || !inContainer(ev) {
		return nil
	}
	dev, _ := stringArg(ev, "dev_name")
	if !strings.HasPrefix(dev, "/dev/") {
		return nil
	}
	target, _ := stringArg(ev, "path")
	s.report(event, map[string]interface{}{"mounted device": dev, "mount path": target})
	return nil
}
