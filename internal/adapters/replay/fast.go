package replay

import (
	"strconv"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The fast decoder reads the fixed trace.Event shape in one pass over the bytes. It accepts only
// input it is sure to decode as encoding/json and Tracee's Argument.UnmarshalJSON do (exact key
// names, each once, well-formed JSON, plain UTF-8, integers in range); for anything else it
// answers false and Decode falls back to Tracee's decoder. FuzzDecoder_fast_equals_Tracee and
// TestDecoder_fast_equals_Tracee hold it to that.

// fastState is a Decoder's reusable memory.
type fastState struct {
	names    map[string]string          // interned names, types and context strings
	values   map[string]any             // interned string argument values, boxed once
	argNames map[string][]trace.ArgMeta // per event name, the argument names and types last read
	last     lastContext                // the context strings last read
	args     []trace.Argument           // scratch: the arguments of the line being read, values untyped
	lits     [][]byte                   // scratch: each argument's number literal (nil: not a number)
	out      []trace.Argument           // scratch: the arguments typed, what ev.Args holds
	stack    []any                      // scratch: the items of the lists being read
}

// lastContext holds strings that repeat from one event to the next.
type lastContext struct{ processName, hostName, containerID, path string }

// maxInternedValue is the longest string argument value interned (paths repeat; data does not),
// maxInternedValues how many are kept (the table starts over when full): at most ~2 MiB a worker.
const (
	maxInternedValue  = 128
	maxInternedValues = 1 << 14
)

// maxInterned bounds the interned strings, maxInternedEvents the remembered argument lists; each
// table starts over when full.
const (
	maxInterned       = 1 << 16
	maxInternedEvents = 1 << 12
)

// str reads a string value; interned strings are shared between events (names, types, comm).
func (s *scanner) str() (string, bool) {
	return s.strLike("")
}

// strLike is str for a string that probably equals like (the last event's host name, the
// arguments of the last event of the same name): equal bytes take like without a lookup.
func (s *scanner) strLike(like string) (string, bool) {
	raw, plain, ok := s.rawString()
	if !ok {
		return "", false
	}
	if !plain {
		return text(raw)
	}
	if string(raw) == like {
		return like, true
	}
	if v, found := s.st.names[string(raw)]; found { // no allocation for the lookup
		return v, true
	}
	if len(s.st.names) >= maxInterned {
		clear(s.st.names)
	}
	v := string(raw)
	s.st.names[v] = v
	return v, true
}

// strValue reads a string argument value, boxed: repeated values share one box.
func (s *scanner) strValue() (any, bool) {
	raw, plain, ok := s.rawString()
	if !ok {
		return nil, false
	}
	if !plain {
		v, ok := text(raw)
		return v, ok
	}
	if s.check {
		return "", true // a string all the same: typeArg decides by the value's kind, not its text
	}
	if len(raw) > maxInternedValue {
		return string(raw), true
	}
	if v, found := s.st.values[string(raw)]; found {
		return v, true
	}
	if len(s.st.values) >= maxInternedValues {
		clear(s.st.values)
	}
	var v any = string(raw)
	s.st.values[v.(string)] = v
	return v, true
}

func (s *scanner) intField(dst *int) bool {
	if s.null() {
		return true
	}
	lit, ok := s.number()
	if !ok {
		return false
	}
	v, ok := parseInt(lit, 64)
	*dst = int(v)
	return ok
}

func (s *scanner) uintField(dst *uint64, bits uint) bool {
	if s.null() {
		return true
	}
	lit, ok := s.number()
	if !ok {
		return false
	}
	v, ok := parseUint(lit, bits)
	*dst = v
	return ok
}

func (s *scanner) boolField(dst *bool) bool {
	switch s.next() {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	}
	return s.null()
}

func (s *scanner) strField(dst *string, like string) bool {
	if s.null() {
		return true
	}
	v, ok := s.strLike(like)
	*dst = v
	return ok
}

// decodeFast decodes raw into ev as Decode's Tracee path does before its final step (d.finish),
// or answers false. ev must be zero. ev.Args is the decoder's scratch, valid until the next call:
// Decode copies it. When want (if set) does not want the event's name, the arguments are only
// checked: the answer is the same, but only ev's name is to be used.
func (d *Decoder) decodeFast(raw []byte, ev *trace.Event, want func(name string) bool) bool {
	st := &d.fast
	defer func() { clear(st.args); clear(st.lits) }()
	s := scanner{b: raw, st: st, want: want}
	if !s.object(func(key []byte) (uint64, bool) { return s.eventField(key, ev) }) {
		return false
	}
	if s.ws(); s.i != len(s.b) {
		return false
	}
	check := want != nil && !want(ev.EventName)
	typed := true
	for i := range ev.Args {
		if !typeArg(&ev.Args[i], st.lits[i], check) {
			typed = false
			break
		}
	}
	if typed {
		return true
	}
	if !s.sawName {
		return false // Tracee's decoder refused the line and there is no event to retype
	}
	// What Decode does when Tracee's decoder refuses the line: type the arguments by the event's
	// definition (or the C type's Go name) and decode them again.
	known := d.params[ev.EventName]
	for i := range ev.Args {
		a := st.args[i]
		a.Type = retypeName(known, a.Name, a.Type)
		if st.lits[i] != nil && !numericType[a.Type] {
			return false
		}
		if !typeArg(&a, st.lits[i], check) {
			return false
		}
		ev.Args[i] = a
	}
	return true
}

// eventField reads the value of one of trace.Event's keys and returns the key's bit.
func (s *scanner) eventField(key []byte, ev *trace.Event) (uint64, bool) {
	switch k := string(key); k {
	case "timestamp":
		return 1 << 0, s.intField(&ev.Timestamp)
	case "threadStartTime":
		return 1 << 1, s.intField(&ev.ThreadStartTime)
	case "processorId":
		return 1 << 2, s.intField(&ev.ProcessorID)
	case "processId":
		return 1 << 3, s.intField(&ev.ProcessID)
	case "threadId":
		return 1 << 4, s.intField(&ev.ThreadID)
	case "parentProcessId":
		return 1 << 5, s.intField(&ev.ParentProcessID)
	case "hostProcessId":
		return 1 << 6, s.intField(&ev.HostProcessID)
	case "hostThreadId":
		return 1 << 7, s.intField(&ev.HostThreadID)
	case "hostParentProcessId":
		return 1 << 8, s.intField(&ev.HostParentProcessID)
	case "userId":
		return 1 << 9, s.intField(&ev.UserID)
	case "mountNamespace":
		return 1 << 10, s.intField(&ev.MountNS)
	case "pidNamespace":
		return 1 << 11, s.intField(&ev.PIDNS)
	case "argsNum":
		return 1 << 12, s.intField(&ev.ArgsNum)
	case "returnValue":
		return 1 << 13, s.intField(&ev.ReturnValue)
	case "cgroupId":
		var v uint64
		ok := s.uintField(&v, 64)
		ev.CgroupID = uint(v)
		return 1 << 14, ok
	case "threadEntityId", "processEntityId", "parentEntityId":
		var v uint64
		ok := s.uintField(&v, 32)
		switch k {
		case "threadEntityId":
			ev.ThreadEntityId = uint32(v)
			return 1 << 15, ok
		case "processEntityId":
			ev.ProcessEntityId = uint32(v)
			return 1 << 16, ok
		default:
			ev.ParentEntityId = uint32(v)
			return 1 << 17, ok
		}
	case "processName":
		ok := s.strField(&ev.ProcessName, s.st.last.processName)
		s.st.last.processName = ev.ProcessName
		return 1 << 18, ok
	case "hostName":
		ok := s.strField(&ev.HostName, s.st.last.hostName)
		s.st.last.hostName = ev.HostName
		return 1 << 19, ok
	case "containerId":
		ok := s.strField(&ev.ContainerID, s.st.last.containerID)
		s.st.last.containerID = ev.ContainerID
		return 1 << 20, ok
	case "eventName":
		s.sawName = true
		ok := s.strField(&ev.EventName, "")
		s.check = s.want != nil && !s.want(ev.EventName)
		return 1 << 21, ok
	case "syscall":
		return 1 << 22, s.strField(&ev.Syscall, "")
	case "eventId":
		// `json:",string"`: a quoted integer; anything else goes to encoding/json
		raw, plain, ok := s.rawString()
		if !ok || !plain || len(raw) == 0 || !validInt(raw) {
			return 1 << 23, false
		}
		v, ok := parseInt(raw, 64)
		ev.EventID = int(v)
		return 1 << 23, ok
	case "executable":
		return 1 << 24, s.null() || s.object(func(k []byte) (uint64, bool) {
			if string(k) == "path" {
				ok := s.strField(&ev.Executable.Path, s.st.last.path)
				s.st.last.path = ev.Executable.Path
				return 1, ok
			}
			return 0, false
		})
	case "container":
		return 1 << 25, s.null() || s.object(func(k []byte) (uint64, bool) {
			c := &ev.Container
			switch string(k) {
			case "id":
				return 1, s.strField(&c.ID, "")
			case "name":
				return 2, s.strField(&c.Name, "")
			case "image":
				return 4, s.strField(&c.ImageName, "")
			case "imageDigest":
				return 8, s.strField(&c.ImageDigest, "")
			}
			return 0, false
		})
	case "kubernetes":
		return 1 << 26, s.null() || s.object(func(k []byte) (uint64, bool) {
			p := &ev.Kubernetes
			switch string(k) {
			case "podName":
				return 1, s.strField(&p.PodName, "")
			case "podNamespace":
				return 2, s.strField(&p.PodNamespace, "")
			case "podUID":
				return 4, s.strField(&p.PodUID, "")
			case "podSandbox":
				return 8, s.boolField(&p.PodSandbox)
			}
			return 0, false
		})
	case "contextFlags":
		return 1 << 27, s.null() || s.object(func(k []byte) (uint64, bool) {
			switch string(k) {
			case "containerStarted":
				return 1, s.boolField(&ev.ContextFlags.ContainerStarted)
			case "isCompat":
				return 2, s.boolField(&ev.ContextFlags.IsCompat)
			}
			return 0, false
		})
	case "matchedPolicies":
		return 1 << 28, s.null() || s.stringList(&ev.MatchedPolicies)
	case "stackAddresses":
		return 1 << 29, s.null() || s.uintList(&ev.StackAddresses)
	case "args":
		return 1 << 30, s.null() || s.args(ev)
	case "metadata":
		return 1 << 31, s.null() // a finding's metadata goes to encoding/json
	}
	return 0, false
}

func (s *scanner) stringList(dst *[]string) bool {
	if !s.take('[') {
		return false
	}
	out := []string{}
	if s.take(']') {
		*dst = out
		return true
	}
	for {
		v, ok := s.str()
		if !ok {
			return false
		}
		out = append(out, v)
		if s.take(',') {
			continue
		}
		*dst = out
		return s.take(']')
	}
}

func (s *scanner) uintList(dst *[]uint64) bool {
	if !s.take('[') {
		return false
	}
	out := []uint64{}
	if s.take(']') {
		*dst = out
		return true
	}
	for {
		lit, ok := s.number()
		if !ok {
			return false
		}
		v, ok := parseUint(lit, 64)
		if !ok {
			return false
		}
		out = append(out, v)
		if s.take(',') {
			continue
		}
		*dst = out
		return s.take(']')
	}
}

// args reads the argument list: names and types first, values as encoding/json with UseNumber
// gives them, then each value typed as Argument.UnmarshalJSON types it.
func (s *scanner) args(ev *trace.Event) bool {
	if !s.take('[') {
		return false
	}
	st := s.st
	st.args, st.lits = st.args[:0], st.lits[:0]
	like := st.argNames[ev.EventName] // empty when args come before eventName
	if !s.take(']') {
		for {
			var a trace.Argument
			var lit []byte
			var was trace.ArgMeta
			if i := len(st.args); i < len(like) {
				was = like[i]
			}
			ok := s.object(func(k []byte) (uint64, bool) {
				switch string(k) {
				case "name":
					return 1, s.strField(&a.Name, was.Name)
				case "type":
					return 2, s.strField(&a.Type, was.Type)
				case "value":
					if c := s.next(); c == '-' || (c >= '0' && c <= '9') {
						var ok bool
						lit, ok = s.number() // typed by typeArg: no json.Number in between
						return 4, ok
					}
					v, ok := s.value()
					a.Value = v
					return 4, ok
				}
				return 0, false
			})
			if !ok {
				return false
			}
			st.args, st.lits = append(st.args, a), append(st.lits, lit)
			if s.take(',') {
				continue
			}
			if !s.take(']') {
				return false
			}
			break
		}
	}
	if len(st.args) == 0 {
		ev.Args = []trace.Argument{} // as encoding/json: empty, not nil
	} else {
		st.out = append(st.out[:0], st.args...)
		ev.Args = st.out[:len(st.out):len(st.out)]
	}
	st.rememberArgs(ev.EventName, like)
	return true
}

// rememberArgs keeps the argument names and types of the line just read for the next event of
// that name, unless they are those it had.
func (st *fastState) rememberArgs(event string, like []trace.ArgMeta) {
	same := len(like) == len(st.args)
	for i := 0; same && i < len(like); i++ {
		same = like[i].Name == st.args[i].Name && like[i].Type == st.args[i].Type
	}
	if same {
		return
	}
	if len(st.argNames) >= maxInternedEvents {
		clear(st.argNames)
	}
	names := make([]trace.ArgMeta, len(st.args))
	for i, a := range st.args {
		names[i] = trace.ArgMeta{Name: a.Name, Type: a.Type}
	}
	st.argNames[event] = names
}

// typeArg gives a's value the Go type Argument.UnmarshalJSON gives it for a.Type, or answers
// false where that decoder fails or builds a type this one leaves to it. lit is the value's
// number literal (nil: not a number). check only checks: the value is left as it is.
func typeArg(a *trace.Argument, lit []byte, check bool) bool {
	if lit != nil {
		if strings.HasSuffix(a.Type, "*") {
			a.Type = "trace.Pointer" // Tracee's legacy case: a C pointer type
		}
		if bits, signed, isInt := intType(a.Type); isInt {
			if signed {
				n, ok := parseInt(lit, bits)
				if ok && !check {
					a.Value = boxInt(a.Type, n)
				}
				return ok
			}
			n, ok := parseUint(lit, bits)
			if ok && !check {
				a.Value = boxUint(a.Type, n)
			}
			return ok
		}
		var f float64
		var err error
		switch a.Type {
		case "float":
			f, err = strconv.ParseFloat(string(lit), 32)
			a.Value = float32(f)
		case "float64":
			f, err = strconv.ParseFloat(string(lit), 64)
			a.Value = f
		default:
			return false
		}
		return err == nil
	}
	if a.Value == nil {
		return true
	}
	switch {
	case a.Type == "[]string":
		items, ok := a.Value.([]any)
		if !ok {
			return false
		}
		out := make([]string, len(items))
		for i, it := range items {
			if out[i], ok = it.(string); !ok {
				return false // Tracee prints other elements with fmt.Sprint
			}
		}
		a.Value = out
	case a.Type == "trace.Pointer":
	case strings.HasPrefix(a.Type, "trace."), strings.HasPrefix(a.Type, "[]trace."):
		return false // network protocol types: Tracee's converters build them
	}
	return true
}

// intType gives the size and sign of the integer types Tracee's decoder reads from a number.
func intType(typ string) (bits uint, signed, ok bool) {
	switch typ {
	case "int32":
		return 32, true, true
	case "int64":
		return 64, true, true
	case "int8":
		return 8, true, true
	case "trace.Pointer", "uint64":
		return 64, false, true
	case "uint32":
		return 32, false, true
	case "uint16":
		return 16, false, true
	case "uint8":
		return 8, false, true
	}
	return 0, false, false
}

func boxInt(typ string, n int64) any {
	switch typ {
	case "int32":
		return int32(n)
	case "int8":
		return int8(n)
	}
	return n
}

func boxUint(typ string, n uint64) any {
	switch typ {
	case "trace.Pointer":
		return trace.Pointer(n)
	case "uint32":
		return uint32(n)
	case "uint16":
		return uint16(n)
	case "uint8":
		return uint8(n)
	}
	return n
}
