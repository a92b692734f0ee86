package ebpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Wire format of bpf/lib/events.h. Keep in sync (TestWire_matches_bpf checks sizes and IDs).
const (
	headerSize = 184

	tagU64    = 1
	tagStr    = 2
	tagStrArr = 3
	tagPath   = 4
	tagBytes  = 5

	pathKernelMount = 1

	// enum arg_kind: how a syscall argument is read, from its Go type (syscallConf).
	kindRaw        = 0
	kindUserStr    = 1
	kindUserStrArr = 2
	kindSockAddr   = 3
	kindTimespec   = 4
	kindInt2       = 5
	confGlobal     = 1 // enum conf_flags
	confAtEntry    = 2
)

var errShort = errors.New("truncated record")

// header is the fixed part of every record.
type header struct {
	ts, startTime, leaderStartTime, cgroupID uint64
	retval                                   int64
	eventID                                  uint32
	syscall                                  int32
	hostPid, hostTid, hostPpid               uint32
	pid, tid, ppid                           uint32
	uid, mntns, pidns, cpu                   uint32
	argsLen                                  uint32
	argc, flags                              uint8
	matched                                  uint64
	comm, nodename                           []byte // into the record
}

// wireArg is one decoded argument; b points into the record.
type wireArg struct {
	tag   byte
	flags byte
	u     uint64
	b     []byte
}

func parseHeader(rec []byte, h *header) error {
	if len(rec) < headerSize {
		return fmt.Errorf("record of %d bytes: %w", len(rec), errShort)
	}
	le := binary.LittleEndian
	h.ts = le.Uint64(rec[0:])
	h.startTime = le.Uint64(rec[8:])
	h.leaderStartTime = le.Uint64(rec[16:])
	h.cgroupID = le.Uint64(rec[24:])
	h.retval = int64(le.Uint64(rec[32:]))
	h.eventID = le.Uint32(rec[40:])
	h.syscall = int32(le.Uint32(rec[44:]))
	h.hostPid = le.Uint32(rec[48:])
	h.hostTid = le.Uint32(rec[52:])
	h.hostPpid = le.Uint32(rec[56:])
	h.pid = le.Uint32(rec[60:])
	h.tid = le.Uint32(rec[64:])
	h.ppid = le.Uint32(rec[68:])
	h.uid = le.Uint32(rec[72:])
	h.mntns = le.Uint32(rec[76:])
	h.pidns = le.Uint32(rec[80:])
	h.cpu = le.Uint32(rec[84:])
	h.argsLen = le.Uint32(rec[88:])
	h.argc = rec[92]
	h.flags = rec[93]
	h.comm = cBytes(rec[96:112])
	h.nodename = cBytes(rec[112:176])
	h.matched = le.Uint64(rec[176:])
	return nil
}

// parseArgs appends the record's arguments to out.
func parseArgs(b []byte, argc int, out []wireArg) ([]wireArg, error) {
	le := binary.LittleEndian
	for i := 0; i < argc; i++ {
		if len(b) < 1 {
			return out, fmt.Errorf("argument %d: %w", i, errShort)
		}
		a := wireArg{tag: b[0]}
		b = b[1:]
		switch a.tag {
		case tagU64:
			if len(b) < 8 {
				return out, fmt.Errorf("argument %d: %w", i, errShort)
			}
			a.u = le.Uint64(b)
			b = b[8:]
		case tagStr, tagStrArr, tagBytes, tagPath:
			if a.tag == tagPath {
				if len(b) < 1 {
					return out, fmt.Errorf("argument %d: %w", i, errShort)
				}
				a.flags = b[0]
				b = b[1:]
			}
			if len(b) < 2 {
				return out, fmt.Errorf("argument %d: %w", i, errShort)
			}
			n := int(le.Uint16(b))
			b = b[2:]
			if len(b) < n {
				return out, fmt.Errorf("argument %d: %d bytes wanted: %w", i, n, errShort)
			}
			a.b = b[:n]
			b = b[n:]
		default:
			return out, fmt.Errorf("argument %d: unknown tag %d", i, a.tag)
		}
		out = append(out, a)
	}
	return out, nil
}

// cBytes returns b up to its first NUL.
func cBytes(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// stringArray splits NUL-separated strings (argv as laid out in memory).
func stringArray(b []byte) []string {
	out := []string{}
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		out = append(out, string(b[:i]))
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// pathString joins components written leaf first into an absolute path, in one allocation.
func pathString(a wireArg) string {
	b := a.b
	if len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return ""
	}
	out := make([]byte, 0, len(b)+1)
	first := true
	for end := len(b); end >= 0; {
		start := end - 1
		for start >= 0 && b[start] != 0 {
			start--
		}
		if !first || a.flags&pathKernelMount == 0 {
			out = append(out, '/')
		}
		first = false
		out = append(out, b[start+1:end]...)
		end = start
	}
	return string(out)
}

// sockaddr renders a struct sockaddr the way Tracee does: a map of its fields as strings.
func sockaddr(b []byte) map[string]string {
	if len(b) < 2 {
		return map[string]string{}
	}
	family := binary.LittleEndian.Uint16(b)
	switch family {
	case 1: // AF_UNIX
		return map[string]string{"sa_family": "AF_UNIX", "sun_path": cString(b[2:])}
	case 2: // AF_INET
		if len(b) < 8 {
			break
		}
		return map[string]string{
			"sa_family": "AF_INET",
			"sin_port":  strconv.Itoa(int(binary.BigEndian.Uint16(b[2:]))),
			"sin_addr":  fmt.Sprintf("%d.%d.%d.%d", b[4], b[5], b[6], b[7]),
		}
	case 10: // AF_INET6
		if len(b) < 28 {
			break
		}
		return map[string]string{
			"sa_family":     "AF_INET6",
			"sin6_port":     strconv.Itoa(int(binary.BigEndian.Uint16(b[2:]))),
			"sin6_flowinfo": strconv.Itoa(int(binary.BigEndian.Uint32(b[4:]))),
			"sin6_addr":     ipv6String(b[8:24]),
			"sin6_scope_id": strconv.Itoa(int(binary.LittleEndian.Uint32(b[24:]))),
		}
	}
	return map[string]string{"sa_family": strconv.Itoa(int(family))}
}

func ipv6String(b []byte) string {
	return netip.AddrFrom16([16]byte(b[:16])).String()
}
