package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// DockerAbuse (TRC-1019) reports a container talking to the Docker daemon's socket, which gives it
// control of the host.
type DockerAbuse struct{ base }

// NewDockerAbuse returns the TRC-1019 signature.
func NewDockerAbuse() *DockerAbuse {
	return &DockerAbuse{newBase("TRC-1019", "docker_abuse", "Docker socket abuse detected",
		"A process in a container opened or connected to docker.sock; whoever speaks to the Docker daemon can start a privileged container and own the host.",
		mitre{2, "privilege-escalation", "Container Administration Command", "T1609"}, "security_file_open", "security_socket_connect").opens(opensWritten)}
}

func (s *DockerAbuse) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	if !inContainer(ev) {
		return nil
	}
	var p string
	switch ev.EventName {
	case "security_file_open":
		p, _ = writtenPath(ev)
	case "security_socket_connect":
		addr, _ := ev.GetRawAddrArgumentByName("remote_addr")
		if unix, _ := helpers.IsUnixFamily(addr); unix {
			p, _ = helpers.GetPathFromRawAddr(addr)
		}
	}
	if strings.HasSuffix(p, "docker.sock") {
		s.report(event, map[string]interface{}{"path": p})
	}
	return nil
}
