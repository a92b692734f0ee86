package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const evConnect = "security_socket_connect"

// inetConnect returns the remote IP and port of a security_socket_connect to an internet address.
func inetConnect(ev *trace.Event) (ip, port string, ok bool) {
	if ev.EventName != evConnect {
		return "", "", false
	}
	addr, err := ev.GetRawAddrArgumentByName("remote_addr")
	if err != nil {
		return "", "", false
	}
	if inet, _ := helpers.IsInternetFamily(addr); !inet {
		return "", "", false
	}
	ip, _ = helpers.GetIPFromRawAddr(addr)
	port, _ = helpers.GetPortFromRawAddr(addr)
	return ip, port, true
}

func isMetadataAddress(ip string) bool {
	switch ip {
	case "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "169.254.169.123":
		return true
	}
	return false
}

// NewCloudMetadataAccess (EXT-034): a container contacts the cloud instance metadata service.
func NewCloudMetadataAccess() detect.Signature {
	return newRule(newBase("EXT-034", "cloud_metadata_access", "Container contacted the cloud metadata service",
		"A process in a container connected to the instance metadata service (169.254.169.254, ECS 169.254.170.2, Alibaba 100.100.100.200, fd00:ec2::254), which hands out the node's cloud credentials.",
		mitre{2, "credential-access", "Unsecured Credentials: Cloud Instance Metadata API", "T1552.005"}, evConnect),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if !inContainer(ev) {
				return nil, 0, false
			}
			ip, port, ok := inetConnect(ev)
			if !ok || !isMetadataAddress(ip) {
				return nil, 0, false
			}
			return map[string]interface{}{"ip": ip, "port": port}, 2, true
		})
}

// NewSSHNonStandardPort (EXT-035): the ssh client connecting to a port other than 22.
func NewSSHNonStandardPort() detect.Signature {
	return newRule(newBase("EXT-035", "ssh_nonstandard_port", "SSH client connected to a non-standard port",
		"The ssh client (by executable path) connected to a TCP port other than 22: reverse SSH tunnels back to an attacker usually listen on high ports. Some servers listen elsewhere on purpose, hence severity 1.",
		mitre{1, "command-and-control", "Non-Standard Port", "T1571"}, evConnect),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != evConnect || exeName(ev) != "ssh" {
				return nil, 0, false
			}
			ip, port, ok := inetConnect(ev)
			if !ok || port == "22" || port == "0" {
				return nil, 0, false
			}
			return map[string]interface{}{"ip": ip, "port": port}, 1, true
		})
}

// isQuietDaemon names shells and system daemons that have no reason to open internet connections.
var isQuietDaemon = nameIn("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish",
	"cron", "crond", "anacron", "atd", "login", "agetty", "getty", "systemd-logind", "logrotate", "sudo", "su",
	"passwd", "useradd", "usermod", "dbus-daemon", "polkitd", "udevd", "systemd-udevd")

// NewSystemProcNetworkActivity (EXT-036): shells and quiet system daemons making internet connections.
func NewSystemProcNetworkActivity() detect.Signature {
	return newRule(newBase("EXT-036", "system_proc_network_activity", "Shell or system daemon opened a network connection",
		"A shell (bash's /dev/tcp) or a system daemon that never talks to the network (cron, atd, login, sudo ...), by executable path, connected to an internet address: a reverse shell or a hijacked daemon.",
		mitre{2, "command-and-control", "Application Layer Protocol", "T1071"}, evConnect),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != evConnect || !isQuietDaemon(exeName(ev)) {
				return nil, 0, false
			}
			ip, port, ok := inetConnect(ev)
			if !ok || port == "0" {
				return nil, 0, false
			}
			return map[string]interface{}{"ip": ip, "port": port, "program": exeName(ev)}, 2, true
		})
}

const sockDgram = 2

// isExpectedUDPPort lists UDP services ordinary hosts use.
func isExpectedUDPPort(port string) bool {
	switch port {
	case "0", "53", "67", "68", "123", "137", "138", "161", "443", "500", "514", "1900", "3478", "4500", "5353", "19302", "51820":
		return true
	}
	return false
}

// NewUnexpectedUDPTraffic (EXT-037): UDP connections to ports outside the usual services.
func NewUnexpectedUDPTraffic() detect.Signature {
	return newRule(newBase("EXT-037", "unexpected_udp_traffic", "UDP connection to an unexpected port",
		"A UDP socket was connected to a port outside DNS, NTP, DHCP, QUIC, IPsec, mDNS, SSDP, STUN and WireGuard: covert channels and tunnels. glibc's address sorting also connects UDP sockets to a TCP service's port, hence severity 1.",
		mitre{1, "command-and-control", "Non-Application Layer Protocol", "T1095"}, evConnect),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != evConnect {
				return nil, 0, false
			}
			typ, err := trace.ArgVal[int32](ev.Args, "type")
			if err != nil || typ&0xf != sockDgram {
				return nil, 0, false
			}
			ip, port, ok := inetConnect(ev)
			if !ok || isExpectedUDPPort(port) {
				return nil, 0, false
			}
			return map[string]interface{}{"ip": ip, "port": port}, 1, true
		})
}

const afPacket = 17

// NewPacketSocketInContainer (EXT-038): raw packet sockets opened in a container.
func NewPacketSocketInContainer() detect.Signature {
	return newRule(newBase("EXT-038", "packet_socket_in_container", "Packet socket created in a container",
		"A process in a container created an AF_PACKET socket, which sees and forges raw frames: sniffing, ARP spoofing, or the packet-socket kernel exploits.",
		mitre{2, "credential-access", "Network Sniffing", "T1040"}, "socket"),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != "socket" || !inContainer(ev) {
				return nil, 0, false
			}
			if d, err := trace.ArgVal[int32](ev.Args, "domain"); err != nil || d != afPacket {
				return nil, 0, false
			}
			return map[string]interface{}{"domain": "AF_PACKET"}, 2, true
		})
}
