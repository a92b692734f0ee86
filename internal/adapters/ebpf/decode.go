package ebpf

import (
	"fmt"
	"path"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// decoder turns ring-buffer records into trace.Event values. It is used by one goroutine.
type decoder struct {
	defs       map[int]domain.EventDefinition
	bootOffset int64 // add to a boot-time ns to get Unix ns
	procs      *procTree
	containers *containerResolver
	scratch    []wireArg
	names      map[string]string // interned comm and hostname strings
	scoped     bool              // the kernel filters by policy scope: keep its matched bitmap
}

func newDecoder(defs []domain.EventDefinition, bootOffset int64, procs *procTree, containers *containerResolver) *decoder {
	d := &decoder{defs: map[int]domain.EventDefinition{}, bootOffset: bootOffset, procs: procs, containers: containers,
		names: map[string]string{}}
	for _, def := range defs {
		d.defs[def.ID] = def
	}
	return d
}

// decode builds the event of one record; it never panics on malformed input.
func (d *decoder) decode(rec []byte) (*trace.Event, error) {
	var h header
	if err := parseHeader(rec, &h); err != nil {
		return nil, err
	}
	def, ok := d.defs[int(h.eventID)]
	if !ok {
		return nil, fmt.Errorf("unknown event id %d", h.eventID)
	}
	body := rec[headerSize:]
	if int(h.argsLen) < len(body) {
		body = body[:h.argsLen]
	}
	wire, err := parseArgs(body, int(h.argc), d.scratch[:0])
	d.scratch = wire
	if err != nil {
		return nil, fmt.Errorf("%s: %w", def.Name, err)
	}
	ev := &trace.Event{
		Timestamp:           int(int64(h.ts) + d.bootOffset),
		ThreadStartTime:     int(int64(h.startTime) + d.bootOffset),
		ProcessorID:         int(h.cpu),
		ProcessID:           int(h.pid),
		CgroupID:            uint(h.cgroupID),
		ThreadID:            int(h.tid),
		ParentProcessID:     int(h.ppid),
		HostProcessID:       int(h.hostPid),
		HostThreadID:        int(h.hostTid),
		HostParentProcessID: int(h.hostPpid),
		UserID:              int(h.uid),
		MountNS:             int(h.mntns),
		PIDNS:               int(h.pidns),
		ProcessName:         d.intern(h.comm),
		HostName:            d.intern(h.nodename),
		EventID:             def.ID,
		EventName:           def.Name,
		ReturnValue:         int(h.retval),
		StackAddresses:      []uint64{},
		ThreadEntityId:      entityID(h.hostTid, h.startTime),
		ProcessEntityId:     entityID(h.hostPid, h.leaderStartTime),
	}
	if h.syscall >= 0 {
		ev.Syscall = syscallName(h.syscall, d.defs)
	}
	if d.scoped {
		ev.MatchedPoliciesKernel = h.matched
	}
	ev.Args = buildArgs(def, wire)
	ev.ArgsNum = len(ev.Args)
	if h.eventID == domain.EventSchedProcessExit {
		ev.Executable.Path = d.procs.exe(h.hostPid) // before the tree forgets the process
		d.track(ev, &h)
	} else {
		d.track(ev, &h) // an exec names its new executable
		ev.Executable.Path = d.procs.exe(h.hostPid)
	}
	if p := d.procs.get(h.hostPpid); p != nil {
		ev.ParentEntityId = entityID(h.hostPpid, p.start)
	}
	if id := d.containers.lookup(h.cgroupID, h.hostPid); id != "" {
		ev.ContainerID = id
		ev.Container.ID = id
		ev.ContextFlags.ContainerStarted = true
	}
	return ev, nil
}

// intern returns a shared copy of b: comm and hostname repeat on almost every event.
func (d *decoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if len(d.names) > 65536 {
		clear(d.names)
	}
	s := string(b)
	d.names[s] = s
	return s
}

// track keeps the process tree up to date with fork, exec and exit.
func (d *decoder) track(ev *trace.Event, h *header) {
	switch h.eventID {
	case domain.EventSchedProcessFork:
		childPid, _ := ev.Args[6].Value.(int32)
		childTid, _ := ev.Args[4].Value.(int32)
		start, _ := ev.Args[8].Value.(uint64)
		if childPid == childTid {
			d.procs.fork(uint32(childPid), h.hostPid, start)
		}
	case domain.EventSchedProcessExec:
		p, _ := ev.Args[1].Value.(string)
		d.procs.exec(h.hostPid, p, h.leaderStartTime)
	case domain.EventSchedProcessExit:
		if last, _ := ev.Args[1].Value.(bool); last {
			d.procs.exit(h.hostPid)
		}
	}
}

func syscallName(nr int32, defs map[int]domain.EventDefinition) string {
	if n, ok := syscallNames[nr]; ok {
		return n
	}
	if def, ok := defs[int(nr)]; ok && def.Kind == domain.KindSyscall {
		return def.Name
	}
	return fmt.Sprintf("syscall_%d", nr)
}

// entityID hashes an id with its start time (FNV-1a), as Tracee's entity IDs do.
func entityID(id uint32, start uint64) uint32 {
	h := uint32(2166136261)
	v := uint64(id)
	for i := 0; i < 12; i++ {
		var c byte
		if i < 4 {
			c = byte(v >> (8 * i))
		} else {
			c = byte(start >> (8 * (i - 4)))
		}
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// buildArgs maps wire arguments to the catalog's arguments, in the catalog's order and with
// the Go types Tracee uses for each C type. Missing wire arguments give zero values.
func buildArgs(def domain.EventDefinition, w []wireArg) []trace.Argument {
	out := make([]trace.Argument, len(def.Params))
	for i, p := range def.Params {
		out[i] = trace.Argument{ArgMeta: trace.ArgMeta{Name: p.Name, Type: p.Type}}
	}
	set := func(i int, v interface{}) {
		if i < len(out) {
			out[i].Value = v
		}
	}
	raw := func(i int, t string) interface{} { return typedValue(t, wireU64(w, i)) }
	switch def.ID {
	case domain.EventSchedProcessExec:
		// wire: cmdpath, pathname, dev, inode, ctime, mode, argv, interp, stdin_type, stdin_path, invoked,
		// interpreter path, dev, inode, ctime, env
		set(0, wireStr(w, 0))
		set(1, wirePath(w, 1))
		set(2, raw(2, "dev_t"))
		set(3, raw(3, "unsigned long"))
		set(4, raw(4, "unsigned long"))
		set(5, raw(5, "umode_t"))
		set(6, wirePath(w, 11))
		set(7, raw(12, "dev_t"))
		set(8, raw(13, "unsigned long"))
		set(9, raw(14, "unsigned long"))
		set(10, wireStrArr(w, 6))
		set(11, wireStr(w, 7))
		set(12, raw(8, "umode_t"))
		set(13, wirePath(w, 9))
		set(14, wireU64(w, 10) != 0)
		set(15, wireStrArr(w, 15))
		return out
	case domain.EventSecurityInodeRename:
		set(0, joinPath(w, 1, 0))
		set(1, joinPath(w, 3, 2))
		return out
	case domain.EventSecuritySbMount:
		set(0, wireStr(w, 0))
		set(1, joinPath(w, 2, 1))
		set(2, wireStr(w, 3))
		set(3, raw(4, "unsigned long"))
		return out
	}
	// Every other event's wire arguments follow the catalog one to one.
	for i, p := range def.Params {
		if i >= len(w) {
			out[i].Value = zeroValue(p.Type)
			continue
		}
		switch a := w[i]; {
		case a.tag == tagStr:
			out[i].Value = cString(a.b)
		case a.tag == tagPath:
			out[i].Value = pathString(a)
		case a.tag == tagStrArr:
			out[i].Value = stringArray(a.b)
		case a.tag == tagBytes:
			out[i].Value = sockaddr(a.b)
		case p.Type == "bool":
			out[i].Value = a.u != 0
		case isStringType(p.Type):
			out[i].Value = "" // a user string the kernel could not read
		default:
			out[i].Value = typedValue(p.Type, a.u)
		}
	}
	return out
}

func wireU64(w []wireArg, i int) uint64 {
	if i < len(w) {
		return w[i].u
	}
	return 0
}

func wireStr(w []wireArg, i int) string {
	if i < len(w) && w[i].tag == tagStr {
		return cString(w[i].b)
	}
	return ""
}

func wirePath(w []wireArg, i int) string {
	if i < len(w) && w[i].tag == tagPath {
		return pathString(w[i])
	}
	return ""
}

func wireStrArr(w []wireArg, i int) []string {
	if i < len(w) && w[i].tag == tagStrArr {
		return stringArray(w[i].b)
	}
	return []string{}
}

// joinPath makes the user path at w[rel] absolute against the directory at w[base].
func joinPath(w []wireArg, base, rel int) string {
	p := wireStr(w, rel)
	if strings.HasPrefix(p, "/") || p == "" {
		return p
	}
	dir := wirePath(w, base)
	if dir == "" {
		return p
	}
	return path.Join(dir, p)
}

func isStringType(t string) bool {
	return t == "const char*" || t == "char*" || t == "const char *"
}

// zeroValue is the value of an argument the kernel did not send.
func zeroValue(t string) interface{} {
	switch {
	case isStringType(t):
		return ""
	case t == "const char**" || t == "const char*const*":
		return []string{}
	case t == "struct sockaddr*":
		return map[string]string{}
	case t == "bool":
		return false
	}
	return typedValue(t, 0)
}

// typedValue converts a raw 64-bit value to the Go type Tracee uses for C type t; it matches
// types/trace's JSON decoding so live and replayed events look alike to signatures.
func typedValue(t string, u uint64) interface{} {
	if strings.HasSuffix(t, "*") {
		return u
	}
	switch t {
	case "int", "pid_t", "uid_t", "gid_t", "mqd_t", "clockid_t", "const clockid_t", "key_t", "key_serial_t", "timer_t":
		return int32(u)
	case "long":
		return int64(u)
	case "unsigned int", "u32", "mode_t", "dev_t":
		return uint32(u)
	case "unsigned long", "u64", "off_t", "size_t":
		return u
	case "unsigned short", "old_uid_t", "old_gid_t", "umode_t", "u16":
		return uint16(u)
	case "u8":
		return uint8(u)
	case "bool":
		return u != 0
	}
	return int64(u)
}
