package ebpf

import (
	"encoding/binary"
	"fmt"
	"path"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// decoder turns ring-buffer records into trace.Event values. It is used by one goroutine.
type decoder struct {
	events     []*wireEvent // by wire ID
	bootOffset int64        // add to a boot-time ns to get Unix ns
	procs      *procTree
	containers *containerResolver
	scratch    []wireArg
	names      map[string]string // interned comm and hostname strings
	slab       eventSlab
	boxes      boxCache
	tasks      [taskSlots]taskContext // the last context of each thread slot, by host thread ID
	exitTask   taskContext            // an exit's context, never reused
	scoped     bool                   // the kernel filters by policy scope: keep its matched bitmap
}

// taskContext is what an event takes from its task beyond its own record's numbers: the interned
// comm and hostname, the thread's, process's and parent's entity IDs, the executable and the
// container. One thread's events come in runs, so the decoder keeps the last context of each
// thread slot and builds it again only when the record's task fields (host pid, tid and ppid, start
// times, cgroup, comm, hostname: taskKey) differ, or the process tree or the
// container cache changed since (their generations), or the container answer was not final.
type taskContext struct {
	key                                       [taskKeyWords]uint64
	procGen, contGen                          uint64
	valid                                     bool
	processName, hostName, exe, container     string
	threadEntity, processEntity, parentEntity uint32
}

// taskSlots is the number of thread slots of the task cache (a power of two).
const taskSlots = 64

// The record's bytes a task context depends on (see parseHeader): start times and cgroup ID
// (8-32), host pid, tid and ppid (48-60), comm and nodename (96-176), kept as 8-byte words.
const taskKeyWords = 3 + 2 + 10

// taskKey reads the task fields of rec as words (the second word of host pid, tid, ppid also
// holds the namespaced pid, which only a new task changes).
func taskKey(rec []byte, k *[taskKeyWords]uint64) {
	le := binary.LittleEndian
	for i := 0; i < 3; i++ {
		k[i] = le.Uint64(rec[8+8*i:])
	}
	k[3], k[4] = le.Uint64(rec[48:]), le.Uint64(rec[56:])
	for i := 0; i < 10; i++ {
		k[5+i] = le.Uint64(rec[96+8*i:])
	}
}

// matches says whether rec's task fields are the ones c was built from.
func (c *taskContext) matches(rec []byte) bool {
	var k [taskKeyWords]uint64
	taskKey(rec, &k)
	return k == c.key
}

// task returns the context of rec's task: the cached one when still valid, else built anew (and
// cached when its container answer is final). An exit's context is built without the executable
// (the caller read it before the tree forgot the process) and never cached.
func (d *decoder) task(rec []byte, h *header, exit bool) *taskContext {
	c := &d.exitTask
	if !exit {
		c = &d.tasks[h.hostTid%taskSlots]
		if c.valid && c.procGen == d.procs.gen && c.contGen == d.containers.gen && c.matches(rec) {
			return c
		}
	}
	c.processName, c.hostName = d.intern(h.comm), d.intern(h.nodename)
	c.threadEntity = entityID(h.hostTid, h.startTime)
	c.processEntity = entityID(h.hostPid, h.leaderStartTime)
	c.exe = ""
	if !exit {
		c.exe = d.procs.exe(h.hostPid)
	}
	c.parentEntity = 0
	if p := d.procs.get(h.hostPpid); p != nil {
		c.parentEntity = entityID(h.hostPpid, p.start)
	}
	var final bool
	c.container, final = d.containers.lookup(h.cgroupID, h.hostPid)
	c.valid = final && !exit
	c.procGen, c.contGen = d.procs.gen, d.containers.gen
	taskKey(rec, &c.key)
	return c
}

// wireEvent is what decoding an event needs, prepared once: its definition, its arguments with
// names, types and zero values (copied into each event), how each number is typed, and which
// arguments Tracee declares time.Time.
type wireEvent struct {
	def       domain.EventDefinition
	args      []trace.Argument
	fresh     []int // arguments whose zero value is a map: made anew for each event
	kinds     []argKind
	timeArgs  []int
	isSyscall bool // its wire ID is a syscall number (trace.Event.Syscall names it)
}

func newDecoder(defs []domain.EventDefinition, bootOffset int64, procs *procTree, containers *containerResolver) *decoder {
	d := &decoder{bootOffset: bootOffset, procs: procs, containers: containers, names: map[string]string{}}
	times := timeParams()
	for _, def := range defs {
		id := wireID(def)
		if id < 0 || id > maxWireID {
			continue
		}
		for len(d.events) <= id {
			d.events = append(d.events, nil)
		}
		we := &wireEvent{def: def, timeArgs: times[def.ID], isSyscall: def.Nr == id}
		for i, p := range def.Params {
			we.args = append(we.args, trace.Argument{ArgMeta: trace.ArgMeta{Name: p.Name, Type: p.Type}, Value: zeroValue(p.Type)})
			we.kinds = append(we.kinds, kindOf(p.Type))
			if p.Type == typeSockAddr {
				we.fresh = append(we.fresh, i)
			}
		}
		d.events[id] = we
	}
	return d
}

// maxWireID bounds the IDs of the decoder's table (Tracee's IDs stay well below).
const maxWireID = 1 << 14

func (d *decoder) event(id uint32) *wireEvent {
	if int(id) < len(d.events) {
		return d.events[id]
	}
	return nil
}

// cgroupV2Tag marks a v2 cgroup's ID on a hybrid host (CGROUP_V2_TAG in bpf/lib/common.h): the
// container cache keeps it apart from v1 IDs, the event's cgroupId does not show it.
const cgroupV2Tag = 1 << 63

// eventCgroupInfo is the internal record of a cgroup's ID and path (bpf/lib/cgroup.h): it feeds
// the container cache and is no event.
const eventCgroupInfo = 2000

// decode builds the event of one record, or nil for an internal record; it never panics on
// malformed input.
func (d *decoder) decode(rec []byte) (*trace.Event, error) {
	var h header
	if err := parseHeader(rec, &h); err != nil {
		return nil, err
	}
	if h.eventID == eventCgroupInfo {
		return nil, d.learnCgroup(&h, rec[headerSize:])
	}
	we := d.event(h.eventID)
	if we == nil {
		return nil, fmt.Errorf("unknown event id %d", h.eventID)
	}
	def := &we.def
	body := rec[headerSize:]
	if int(h.argsLen) < len(body) {
		body = body[:h.argsLen]
	}
	wire, err := parseArgs(body, int(h.argc), d.scratch[:0])
	d.scratch = wire
	if err != nil {
		return nil, fmt.Errorf("%s: %w", def.Name, err)
	}
	ev := d.slab.event()
	oldArgs := ev.Args // a recycled event's: nothing else holds them either
	*ev = trace.Event{
		Timestamp:           int(int64(h.ts) + d.bootOffset),
		ThreadStartTime:     int(int64(h.startTime) + d.bootOffset),
		ProcessorID:         int(h.cpu),
		ProcessID:           int(h.pid),
		CgroupID:            uint(h.cgroupID &^ cgroupV2Tag),
		ThreadID:            int(h.tid),
		ParentProcessID:     int(h.ppid),
		HostProcessID:       int(h.hostPid),
		HostThreadID:        int(h.hostTid),
		HostParentProcessID: int(h.hostPpid),
		UserID:              int(h.uid),
		MountNS:             int(h.mntns),
		PIDNS:               int(h.pidns),
		EventID:             def.ID,
		EventName:           def.Name,
		ReturnValue:         int(h.retval),
		StackAddresses:      []uint64{},
	}
	if h.syscall >= 0 {
		ev.Syscall = d.syscallName(h.syscall)
	}
	if d.scoped {
		ev.MatchedPoliciesKernel = h.matched
	}
	ev.Args = buildArgs(we, wire, d.slab.argsReusing(oldArgs, len(we.args)), &d.boxes)
	ev.ArgsNum = len(ev.Args)
	// Tracee gives its time.Time arguments as epoch ns, like the event's timestamp; the kernel
	// writes boot ns.
	for _, i := range we.timeArgs {
		if i >= len(ev.Args) {
			continue
		}
		if v, ok := ev.Args[i].Value.(uint64); ok && v != 0 {
			ev.Args[i].Value = uint64(int64(v) + d.bootOffset)
		}
	}
	exit := h.eventID == domain.EventSchedProcessExit
	if exit {
		ev.Executable.Path = d.procs.exe(h.hostPid) // before the tree forgets the process
	}
	d.track(ev, &h) // an exec names its new executable
	tc := d.task(rec, &h, exit)
	ev.ProcessName, ev.HostName = tc.processName, tc.hostName
	ev.ThreadEntityId, ev.ProcessEntityId, ev.ParentEntityId = tc.threadEntity, tc.processEntity, tc.parentEntity
	if !exit {
		ev.Executable.Path = tc.exe
	}
	if tc.container != "" {
		ev.ContainerID = tc.container
		ev.Container.ID = tc.container
		ev.ContextFlags.ContainerStarted = true
	}
	if exit {
		if last, _ := trace.ArgVal[bool](ev.Args, "process_group_exit"); last {
			d.containers.forget(h.cgroupID, h.hostPid) // after this last lookup: the pid may be reused
		}
	}
	return ev, nil
}

// eventSlab hands out events and argument slices. An event is one the agent recycled
// (Source.Recycle) or a new one; argument slices are a recycled event's own (an event is recycled
// only when nothing holds it, its arguments included) or carved from small blocks. Events are not
// carved from blocks: one an output or a signature keeps would keep its whole block alive, and
// recycled events would keep the blocks of every event that went to the garbage collector. An
// argument block lives while any slice carved from it is referenced. Argument slices are capped at
// their length, so an append by a consumer copies instead of writing over the next event's.
type eventSlab struct {
	recycled <-chan []*trace.Event // batches handed back; nil: none
	reuse    []*trace.Event        // the batch being reused
	argv     []trace.Argument
}

// slabArgs sizes the argument blocks: 64 arguments of 48 bytes, 3 KB.
const slabArgs = 64

func (s *eventSlab) event() *trace.Event {
	if len(s.reuse) == 0 && s.recycled != nil {
		select {
		case s.reuse = <-s.recycled:
		default:
		}
	}
	if n := len(s.reuse); n > 0 {
		ev := s.reuse[n-1]
		s.reuse = s.reuse[:n-1]
		return ev
	}
	return new(trace.Event)
}

// argsReusing is args, reusing old (a recycled event's arguments, which nothing else holds) when
// it has room for n.
func (s *eventSlab) argsReusing(old []trace.Argument, n int) []trace.Argument {
	if n > 0 && cap(old) >= n {
		return old[:n:n]
	}
	return s.args(n)
}

// boxCache keeps the interface values of recently decoded numbers: a number in an interface is
// allocated (unless below 256), and the same pids, fds and flags come back event after event.
// Boxed values are never changed, so events share them.
type boxCache [64]struct {
	kind  argKind
	u     uint64
	boxed interface{}
}

func (c *boxCache) value(k argKind, u uint64) interface{} {
	e := &c[(u^u>>6^u>>12^uint64(k))&63]
	if e.boxed != nil && e.u == u && e.kind == k {
		return e.boxed
	}
	v := k.value(u)
	e.kind, e.u, e.boxed = k, u, v
	return v
}

// giveBack returns an event nothing else saw to the events to reuse.
func (s *eventSlab) giveBack(ev *trace.Event) { s.reuse = append(s.reuse, ev) }

func (s *eventSlab) args(n int) []trace.Argument {
	if n == 0 {
		return []trace.Argument{}
	}
	if n > slabArgs {
		return make([]trace.Argument, n)
	}
	if len(s.argv) < n {
		s.argv = make([]trace.Argument, slabArgs)
	}
	out := s.argv[:n:n]
	s.argv = s.argv[n:]
	return out
}

// learnCgroup caches the container ID of the cgroup an internal record names.
func (d *decoder) learnCgroup(h *header, body []byte) error {
	if int(h.argsLen) < len(body) {
		body = body[:h.argsLen]
	}
	wire, err := parseArgs(body, int(h.argc), d.scratch[:0])
	d.scratch = wire
	if err != nil {
		return fmt.Errorf("cgroup record: %w", err)
	}
	p := wirePath(wire, 0)
	if p == "" {
		p = "/" // the hierarchy's root
	}
	d.containers.learn(h.cgroupID, p)
	return nil
}

// timeParams lists, per event, the arguments Tracee declares time.Time (boot ns in the kernel).
func timeParams() map[int][]int {
	out := map[int][]int{}
	for _, r := range domain.TraceeEvents() {
		if r.KernelOnly {
			continue
		}
		for i, p := range r.Params {
			if p.Type == domain.TypeTime {
				out[r.ID] = append(out[r.ID], i)
			}
		}
	}
	return out
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
		childPid, _ := trace.ArgVal[int32](ev.Args, "child_pid")
		childTid, _ := trace.ArgVal[int32](ev.Args, "child_tid")
		start, _ := trace.ArgVal[uint64](ev.Args, "start_time")
		if childPid == childTid {
			d.procs.fork(uint32(childPid), h.hostPid, uint64(int64(start)-d.bootOffset))
		}
	case domain.EventSchedProcessExec:
		p, _ := trace.ArgVal[string](ev.Args, "pathname")
		d.procs.exec(h.hostPid, p, h.leaderStartTime)
	case domain.EventSchedProcessExit:
		if last, _ := trace.ArgVal[bool](ev.Args, "process_group_exit"); last {
			d.procs.exit(h.hostPid)
		}
	}
}

// syscallName names the syscall a hook ran in (trace.Event.Syscall): every x86-64 syscall has an
// event of its name whose wire ID is its number.
func (d *decoder) syscallName(nr int32) string {
	if we := d.event(uint32(nr)); we != nil && we.isSyscall {
		return we.def.Name
	}
	return fmt.Sprintf("syscall_%d", nr)
}

// entityID hashes an id with its start time (FNV-1a), as Tracee's entity IDs do.
func entityID(id uint32, start uint64) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	// The 4 bytes of id, then the 8 of start, little end first: straight-line, no branch per byte.
	h = (h ^ (id & 0xff)) * prime
	h = (h ^ (id >> 8 & 0xff)) * prime
	h = (h ^ (id >> 16 & 0xff)) * prime
	h = (h ^ (id >> 24)) * prime
	for i := 0; i < 64; i += 8 {
		h = (h ^ uint32(start>>i&0xff)) * prime
	}
	return h
}

// buildArgs maps wire arguments to the catalog's arguments, in the catalog's order and with
// the Go types Tracee v0.24.1 gives them, into out (len(we.args) long, zeroed). Missing wire
// arguments give typed zero values.
func buildArgs(we *wireEvent, w []wireArg, out []trace.Argument, boxes *boxCache) []trace.Argument {
	def := &we.def
	copy(out, we.args)
	for _, i := range we.fresh {
		out[i].Value = zeroValue(out[i].Type)
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
		// interpreter path, dev, inode, ctime, prev_comm, pwd, env
		set(0, wireStr(w, 0))
		set(1, wirePath(w, 1))
		set(2, raw(2, "uint32"))
		set(3, raw(3, "uint64"))
		set(4, raw(4, "uint64"))
		set(5, raw(5, "uint16"))
		set(6, wirePath(w, 11))
		set(7, raw(12, "uint32"))
		set(8, raw(13, "uint64"))
		set(9, raw(14, "uint64"))
		set(10, wireStrArr(w, 6))
		set(11, wireStr(w, 7))
		set(12, raw(8, "uint16"))
		set(13, wirePath(w, 9))
		set(14, wireU64(w, 10) != 0)
		set(15, wireStr(w, 15))
		set(16, wireStrArr(w, 17))
		set(17, wirePath(w, 16))
		return out
	case domain.EventSchedProcessExit:
		// wire: exit_code (the kernel's status word), group exit
		status := wireU64(w, 0)
		setNamed(out, "exit_code", (status>>8)&0xff)
		setNamed(out, "signal_code", status&0x7f)
		setNamed(out, "process_group_exit", wireU64(w, 1))
		return out
	case domain.EventSecurityInodeRename:
		set(0, joinPath(w, 1, 0))
		set(1, joinPath(w, 3, 2))
		return out
	case domain.EventSecurityInodeSymlink:
		set(0, joinPath(w, 1, 0))
		set(1, wireStr(w, 2))
		return out
	case domain.EventDoTruncate:
		// wire: user path (truncate) or "" (ftruncate), its base directory or the file's path,
		// inode, dev, length
		if wireStr(w, 0) != "" {
			set(0, joinPath(w, 1, 0))
		} else {
			set(0, wirePath(w, 1))
		}
		set(1, raw(2, "uint64"))
		set(2, raw(3, "uint32"))
		set(3, raw(4, "uint64"))
		return out
	case domain.EventSecuritySbMount:
		set(0, wireStr(w, 0))
		set(1, joinPath(w, 2, 1))
		set(2, wireStr(w, 3))
		set(3, raw(4, "uint64"))
		return out
	}
	// Every other event's wire arguments follow the catalog one to one.
	for i, p := range def.Params {
		if i >= len(w) {
			continue
		}
		switch a := w[i]; {
		case a.tag == tagStr:
			out[i].Value = cString(a.b)
		case a.tag == tagPath:
			out[i].Value = pathString(a)
		case a.tag == tagStrArr:
			out[i].Value = stringArray(a.b)
		case a.tag == tagBytes && p.Type == typeSockAddr:
			out[i].Value = sockaddr(a.b)
		case a.tag == tagBytes && p.Type == typeTimespec:
			out[i].Value = timespec(a.b)
		case a.tag == tagBytes && p.Type == typeInt2:
			out[i].Value = int2(a.b)
		case a.tag == tagBytes:
			out[i].Value = append([]byte(nil), a.b...)
		case a.tag == tagU64:
			out[i].Value = boxes.value(we.kinds[i], a.u)
		}
	}
	return out
}

// timespec converts a struct timespec to seconds; an absent one is 0.
func timespec(b []byte) float64 {
	if len(b) < 16 {
		return 0
	}
	sec := int64(binary.LittleEndian.Uint64(b))
	nsec := int64(binary.LittleEndian.Uint64(b[8:]))
	return float64(sec) + float64(nsec)/1e9
}

// int2 converts an int[2] (the fds of pipe or socketpair).
func int2(b []byte) [2]int32 {
	if len(b) < 8 {
		return [2]int32{}
	}
	return [2]int32{int32(binary.LittleEndian.Uint32(b)), int32(binary.LittleEndian.Uint32(b[4:]))}
}

// setNamed sets the argument called name to raw converted to its type.
func setNamed(out []trace.Argument, name string, raw uint64) {
	for i := range out {
		if out[i].Name == name {
			out[i].Value = typedValue(out[i].Type, raw)
			return
		}
	}
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

// Tracee's Go type names of arguments that are not plain numbers.
const (
	typeString   = "string"
	typeStrings  = "[]string"
	typeSockAddr = "SockAddr"
	typeBytes    = "[]byte"
	typePointer  = "trace.Pointer"
	typeTimespec = "float64" // a struct timespec, in seconds
	typeInt2     = "[2]int"  // an int[2] (pipe fds), carried as [2]int32
)

// zeroValue is the value of an argument the kernel did not send, of the argument's Go type.
func zeroValue(t string) interface{} {
	switch t {
	case typeString:
		return ""
	case typeStrings:
		return []string{}
	case typeSockAddr:
		return map[string]string{}
	case typeBytes:
		return []byte{}
	case "[2]int":
		return [2]int32{}
	case "float64":
		return float64(0)
	}
	return typedValue(t, 0)
}

// typedValue converts a raw 64-bit value to the Go type t names (Tracee v0.24.1's type names), so
// live events and JSON decoded by Tracee's own decoder hold the same Go types.
func typedValue(t string, u uint64) interface{} { return kindOf(t).value(u) }

// argKind is the Go type of a numeric argument, resolved once per definition.
type argKind uint8

const (
	kindUint64 argKind = iota // and every type name not listed below
	kindInt32
	kindInt64
	kindUint32
	kindUint16
	kindUint8
	kindInt8
	kindInt16
	kindBool
	kindPointer
)

func kindOf(t string) argKind {
	switch t {
	case "int32":
		return kindInt32
	case "int64":
		return kindInt64
	case "uint32":
		return kindUint32
	case "uint16":
		return kindUint16
	case "uint8":
		return kindUint8
	case "int8":
		return kindInt8
	case "int16":
		return kindInt16
	case "bool":
		return kindBool
	case typePointer:
		return kindPointer
	}
	return kindUint64
}

func (k argKind) value(u uint64) interface{} {
	switch k {
	case kindInt32:
		return int32(u)
	case kindInt64:
		return int64(u)
	case kindUint32:
		return uint32(u)
	case kindUint16:
		return uint16(u)
	case kindUint8:
		return uint8(u)
	case kindInt8:
		return int8(u)
	case kindInt16:
		return int16(u)
	case kindBool:
		return u != 0
	case kindPointer:
		return trace.Pointer(u)
	}
	return u
}
