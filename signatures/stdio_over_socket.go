package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/protocol"
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
	var fd int64
	var ok bool
	switch ev.EventName {
	case "security_socket_connect":
		fd, ok = helpers.IntArg(ev.Args, "sockfd")
	case "socket_dup":
		fd, ok = helpers.IntArg(ev.Args, "newfd")
	}
	if !ok || fd < 0 || fd > 2 {
		return nil
	}
	addr, _ := helpers.ArgValue(ev.Args, "remote_addr")
	ip, port, inet := inetAddr(addr)
	if !inet || port == "" || port == "0" {
		return nil
	}
	s.report(event, map[string]interface{}{"IP address": ip, "Port": port, "File descriptor": int(fd)})
	return nil
}

// inetAddr reads IP and port of an AF_INET/AF_INET6 socket address map without allocating.
func inetAddr(v interface{}) (ip, port string, ok bool) {
	switch family := addrField(v, "sa_family"); family {
	case "AF_INET":
		return addrField(v, "sin_addr"), addrField(v, "sin_port"), true
	case "AF_INET6":
		return addrField(v, "sin6_addr"), addrField(v, "sin6_port"), true
	}
	return "", "", false
}

// addrField reads one field of a socket address in either map form events carry.
func addrField(v interface{}, key string) string {
	switch m := v.(type) {
	case map[string]string:
		return m[key]
	case map[string]interface{}:
		s, _ := m[key].(string)
		return s
	}
	return ""
}
