package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// StdioOverSocket (TRC-101) reports a process whose stdin, stdout or stderr becomes a network
// socket, by connect() on fd 0-2 or by dup2() of a connected socket onto fd 0-2: the core of a
// reverse shell.
type StdioOverSocket struct{ base }

// NewStdioOverSocket returns the TRC-101 signature.
func NewStdioOverSocket() *StdioOverSocket {
	return &StdioOverSocket{newBase("TRC-101", "stdio_over_socket", "Process standard input/output over socket detected",
		"A process connected its standard input, output or error to a network socket, which is how reverse shells hand a remote attacker an interactive session.",
		mitre{3, "execution", "Unix Shell", "T1059.004"}, "security_socket_connect", "socket_dup")}
}

func (s *StdioOverSocket) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	// sockfd and newfd are int32s, read with trace.ArgVal[int32] for the reason fileOpenArgs gives:
	// every connect goes through here.
	var fd int32
	switch ev.EventName {
	case "security_socket_connect":
		fd, err = trace.ArgVal[int32](ev.Args, "sockfd")
	case "socket_dup":
		fd, err = trace.ArgVal[int32](ev.Args, "newfd")
	default:
		return nil
	}
	if err != nil || fd < 0 || fd > 2 {
		return nil
	}
	addr, _ := ev.GetRawAddrArgumentByName("remote_addr")
	ip, port, inet := inetAddr(addr)
	if !inet || port == "" || port == "0" {
		return nil
	}
	s.report(event, map[string]interface{}{"IP address": ip, "Port": port, "File descriptor": int(fd)})
	return nil
}

// inetAddr reads IP and port of an AF_INET/AF_INET6 socket address; ok is false for other
// families and for a missing address (nil map).
func inetAddr(addr map[string]string) (ip, port string, ok bool) {
	if inet, _ := helpers.IsInternetFamily(addr); !inet {
		return "", "", false
	}
	ip, _ = helpers.GetIPFromRawAddr(addr)
	port, _ = helpers.GetPortFromRawAddr(addr)
	return ip, port, true
}
