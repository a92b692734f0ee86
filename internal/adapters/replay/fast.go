package replay

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The fast decoder reads the fixed trace.Event shape in one pass over the bytes. It accepts only
// input it is sure to decode as encoding/json and Tracee's Argument.UnmarshalJSON do (exact key
// names, each once, well-formed JSON, plain UTF-8, integers in range); for anything else it
// answers false and Decode falls back to Tracee's decoder. FuzzDecoder_fast_equals_Tracee and
// TestDecoder_fast_equals_Tracee hold it to that.

// maxDepth bounds the nesting of argument values the fast decoder follows.
const maxDepth = 32

// fastState is a Decoder's reusable memory.
type fastState struct {
	names  map[string]string // interned names, types and context strings
	values map[string]any    // interned string argument values, boxed once
	args   []trace.Argument  // scratch: the arguments of the line being read, values untyped
	lits   [][]byte          // scratch: each argument's number literal (nil: not a number)
}

// maxInternedValue is the longest string argument value interned (paths repeat; data does not).
const maxInternedValue = 128

// maxInterned bounds the interned strings; the table starts over when full.
const maxInterned = 1 << 16

type scanner struct {
	b       []byte
	i       int
	st      *fastState
	depth   int
	sawName bool // the line has an eventName key
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte (0 at the end).
func (s *scanner) next() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) take(c byte) bool {
	if s.next() == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// plainByte marks the bytes a string holds as they are: printable ASCII but the quote and backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainWord says all 8 bytes of x are plain (SWAR: no byte below 0x20, above 0x7f, '"' or '\\').
func plainWord(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	below := func(v uint64, n uint64) uint64 { return (v - lo*n) & ^v & hi } // a byte of v < n
	return (x&hi)|below(x, 0x20)|below(x^(lo*'"'), 1)|below(x^(lo*'\\'), 1) == 0
}

// rawString reads a JSON string and returns its bytes between the quotes; plain says it holds no
// escape and no byte above 0x7f.
func (s *scanner) rawString() (raw []byte, plain, ok bool) {
	if !s.take('"') {
		return nil, false, false
	}
	start := s.i
	plain = true
	for {
		for s.i+8 <= len(s.b) && plainWord(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		for s.i < len(s.b) && plainByte[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			return nil, false, false
		}
		switch c := s.b[s.i]; {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, plain, true
		case c == '\\':
			plain = false
			s.i += 2
		case c < 0x20:
			return nil, false, false
		default: // UTF-8, checked by text
			plain = false
			s.i++
		}
	}
}

// text turns a string's raw bytes into its value, or fails where encoding/json would change them
// (invalid UTF-8, surrogate escapes) or refuse them.
func text(raw []byte) (string, bool) {
	if !hasByte(raw, '\\') {
		if !utf8.Valid(raw) {
			return "", false
		}
		return string(raw), true
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+6 > len(raw) {
				return "", false
			}
			v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
			if err != nil || (v >= 0xd800 && v < 0xe000) {
				return "", false // surrogates: encoding/json pairs or replaces them
			}
			out = utf8.AppendRune(out, rune(v))
			i += 6
			continue
		default:
			return "", false
		}
		i += 2
	}
	if !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// str reads a string value; interned strings are shared between events (names, types, comm).
func (s *scanner) str(intern bool) (string, bool) {
	raw, plain, ok := s.rawString()
	if !ok {
		return "", false
	}
	if plain && intern {
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
	if plain {
		return string(raw), true
	}
	return text(raw)
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
	if len(raw) > maxInternedValue {
		return string(raw), true
	}
	if v, found := s.st.values[string(raw)]; found {
		return v, true
	}
	if len(s.st.values) >= maxInterned {
		clear(s.st.values)
	}
	var v any = string(raw)
	s.st.values[v.(string)] = v
	return v, true
}

// number reads a JSON number and returns its literal.
func (s *scanner) number() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return nil, false
	}
	switch c := s.b[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	default:
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// parseUint is strconv.ParseUint(lit, 10, bits) for a JSON number literal, without allocating.
func parseUint(lit []byte, bits uint) (uint64, bool) {
	if len(lit) == 0 || len(lit) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if bits < 64 && n >= 1<<bits {
		return 0, false
	}
	return n, true
}

// parseInt is strconv.ParseInt(lit, 10, bits) for a JSON number literal, without allocating.
func parseInt(lit []byte, bits uint) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	u, ok := parseUint(lit, 64)
	if !ok {
		return 0, false
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if u > limit {
			return 0, false
		}
		return -int64(u), true
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
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

func (s *scanner) strField(dst *string, intern bool) bool {
	if s.null() {
		return true
	}
	v, ok := s.str(intern)
	*dst = v
	return ok
}

func (s *scanner) null() bool {
	return s.next() == 'n' && s.literal("null")
}

// object calls field for each key of an object, refusing a key seen twice (encoding/json merges
// those) and any key field does not know. bit gives each key a distinct bit of a seen set.
func (s *scanner) object(bit func(key []byte) uint64, field func(key []byte) bool) bool {
	if !s.take('{') {
		return false
	}
	if s.take('}') {
		return true
	}
	var seen uint64
	for {
		key, plain, ok := s.rawString()
		if !ok || !plain || !s.take(':') {
			return false
		}
		b := bit(key)
		if b == 0 || seen&b != 0 {
			return false
		}
		seen |= b
		if !field(key) {
			return false
		}
		if s.take(',') {
			continue
		}
		return s.take('}')
	}
}

// eventBit numbers trace.Event's JSON keys (a switch: cheaper than hashing); 0 is unknown.
func eventBit(k []byte) uint64 {
	switch string(k) {
	case "timestamp":
		return 1 << 0
	case "threadStartTime":
		return 1 << 1
	case "processorId":
		return 1 << 2
	case "processId":
		return 1 << 3
	case "cgroupId":
		return 1 << 4
	case "threadId":
		return 1 << 5
	case "parentProcessId":
		return 1 << 6
	case "hostProcessId":
		return 1 << 7
	case "hostThreadId":
		return 1 << 8
	case "hostParentProcessId":
		return 1 << 9
	case "userId":
		return 1 << 10
	case "mountNamespace":
		return 1 << 11
	case "pidNamespace":
		return 1 << 12
	case "processName":
		return 1 << 13
	case "executable":
		return 1 << 14
	case "hostName":
		return 1 << 15
	case "containerId":
		return 1 << 16
	case "container":
		return 1 << 17
	case "kubernetes":
		return 1 << 18
	case "eventId":
		return 1 << 19
	case "eventName":
		return 1 << 20
	case "matchedPolicies":
		return 1 << 21
	case "argsNum":
		return 1 << 22
	case "returnValue":
		return 1 << 23
	case "syscall":
		return 1 << 24
	case "stackAddresses":
		return 1 << 25
	case "contextFlags":
		return 1 << 26
	case "threadEntityId":
		return 1 << 27
	case "processEntityId":
		return 1 << 28
	case "parentEntityId":
		return 1 << 29
	case "args":
		return 1 << 30
	case "metadata":
		return 1 << 31
	}
	return 0
}

func containerBit(k []byte) uint64 {
	switch string(k) {
	case "id":
		return 1 << 0
	case "name":
		return 1 << 1
	case "image":
		return 1 << 2
	case "imageDigest":
		return 1 << 3
	}
	return 0
}

func kubernetesBit(k []byte) uint64 {
	switch string(k) {
	case "podName":
		return 1 << 0
	case "podNamespace":
		return 1 << 1
	case "podUID":
		return 1 << 2
	case "podSandbox":
		return 1 << 3
	}
	return 0
}

func flagsBit(k []byte) uint64 {
	switch string(k) {
	case "containerStarted":
		return 1 << 0
	case "isCompat":
		return 1 << 1
	}
	return 0
}

func fileBit(k []byte) uint64 {
	switch string(k) {
	case "path":
		return 1 << 0
	}
	return 0
}

func argBit(k []byte) uint64 {
	switch string(k) {
	case "name":
		return 1 << 0
	case "type":
		return 1 << 1
	case "value":
		return 1 << 2
	}
	return 0
}

// decodeFast decodes raw into ev as Decode's Tracee path does before its final step (d.finish),
// or answers false. ev must be zero.
func (d *Decoder) decodeFast(raw []byte, ev *trace.Event) bool {
	st := &d.fast
	defer func() { clear(st.args); clear(st.lits) }()
	s := scanner{b: raw, st: st}
	if !s.object(eventBit, func(key []byte) bool { return s.eventField(key, ev) }) {
		return false
	}
	if s.ws(); s.i != len(s.b) {
		return false
	}
	typed := true
	for i := range ev.Args {
		if !typeArg(&ev.Args[i], st.lits[i]) {
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
		if !typeArg(&a, st.lits[i]) {
			return false
		}
		ev.Args[i] = a
	}
	return true
}

func (s *scanner) eventField(key []byte, ev *trace.Event) bool {
	switch string(key) {
	case "timestamp":
		return s.intField(&ev.Timestamp)
	case "threadStartTime":
		return s.intField(&ev.ThreadStartTime)
	case "processorId":
		return s.intField(&ev.ProcessorID)
	case "processId":
		return s.intField(&ev.ProcessID)
	case "threadId":
		return s.intField(&ev.ThreadID)
	case "parentProcessId":
		return s.intField(&ev.ParentProcessID)
	case "hostProcessId":
		return s.intField(&ev.HostProcessID)
	case "hostThreadId":
		return s.intField(&ev.HostThreadID)
	case "hostParentProcessId":
		return s.intField(&ev.HostParentProcessID)
	case "userId":
		return s.intField(&ev.UserID)
	case "mountNamespace":
		return s.intField(&ev.MountNS)
	case "pidNamespace":
		return s.intField(&ev.PIDNS)
	case "argsNum":
		return s.intField(&ev.ArgsNum)
	case "returnValue":
		return s.intField(&ev.ReturnValue)
	case "cgroupId":
		var v uint64
		ok := s.uintField(&v, 64)
		ev.CgroupID = uint(v)
		return ok
	case "threadEntityId", "processEntityId", "parentEntityId":
		var v uint64
		ok := s.uintField(&v, 32)
		switch string(key) {
		case "threadEntityId":
			ev.ThreadEntityId = uint32(v)
		case "processEntityId":
			ev.ProcessEntityId = uint32(v)
		default:
			ev.ParentEntityId = uint32(v)
		}
		return ok
	case "processName":
		return s.strField(&ev.ProcessName, true)
	case "hostName":
		return s.strField(&ev.HostName, true)
	case "containerId":
		return s.strField(&ev.ContainerID, true)
	case "eventName":
		s.sawName = true
		return s.strField(&ev.EventName, true)
	case "syscall":
		return s.strField(&ev.Syscall, true)
	case "eventId":
		// `json:",string"`: a quoted integer; anything else goes to encoding/json
		raw, plain, ok := s.rawString()
		if !ok || !plain || len(raw) == 0 || !validInt(raw) {
			return false
		}
		v, ok := parseInt(raw, 64)
		ev.EventID = int(v)
		return ok
	case "executable":
		return s.null() || s.object(fileBit, func([]byte) bool { return s.strField(&ev.Executable.Path, true) })
	case "container":
		return s.null() || s.object(containerBit, func(k []byte) bool {
			c := &ev.Container
			switch string(k) {
			case "id":
				return s.strField(&c.ID, true)
			case "name":
				return s.strField(&c.Name, true)
			case "image":
				return s.strField(&c.ImageName, true)
			default:
				return s.strField(&c.ImageDigest, true)
			}
		})
	case "kubernetes":
		return s.null() || s.object(kubernetesBit, func(k []byte) bool {
			p := &ev.Kubernetes
			switch string(k) {
			case "podName":
				return s.strField(&p.PodName, true)
			case "podNamespace":
				return s.strField(&p.PodNamespace, true)
			case "podUID":
				return s.strField(&p.PodUID, true)
			default:
				return s.boolField(&p.PodSandbox)
			}
		})
	case "contextFlags":
		return s.null() || s.object(flagsBit, func(k []byte) bool {
			if string(k) == "containerStarted" {
				return s.boolField(&ev.ContextFlags.ContainerStarted)
			}
			return s.boolField(&ev.ContextFlags.IsCompat)
		})
	case "matchedPolicies":
		return s.null() || s.stringList(&ev.MatchedPolicies)
	case "stackAddresses":
		return s.null() || s.uintList(&ev.StackAddresses)
	case "args":
		return s.null() || s.args(ev)
	case "metadata":
		return s.null() // a finding's metadata goes to encoding/json
	}
	return false
}

// validInt says lit is a JSON integer literal: what the `,string` option reads as a number.
func validInt(lit []byte) bool {
	sub := &scanner{b: lit}
	n, ok := sub.number()
	return ok && len(n) == len(lit) && !hasByte(lit, '.') && !hasByte(lit, 'e') && !hasByte(lit, 'E')
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
		v, ok := s.str(true)
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
	if !s.take(']') {
		for {
			var a trace.Argument
			var lit []byte
			ok := s.object(argBit, func(k []byte) bool {
				switch string(k) {
				case "name":
					return s.strField(&a.Name, true)
				case "type":
					return s.strField(&a.Type, true)
				default:
					if c := s.next(); c == '-' || (c >= '0' && c <= '9') {
						var ok bool
						lit, ok = s.number() // typed by typeArg: no json.Number in between
						return ok
					}
					v, ok := s.value()
					a.Value = v
					return ok
				}
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
	ev.Args = make([]trace.Argument, len(st.args))
	copy(ev.Args, st.args)
	return true
}

// value reads any JSON value the way encoding/json decodes it into interface{} with UseNumber.
func (s *scanner) value() (any, bool) {
	switch c := s.next(); {
	case c == '"':
		return s.strValue()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		lit, ok := s.number()
		return json.Number(lit), ok
	case c == '[' || c == '{':
		if s.depth++; s.depth > maxDepth {
			return nil, false
		}
		defer func() { s.depth-- }()
		if c == '[' {
			return s.list()
		}
		return s.mapValue()
	}
	return nil, false
}

func (s *scanner) list() (any, bool) {
	s.i++
	out := []any{}
	if s.take(']') {
		return out, true
	}
	for {
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.take(',') {
			continue
		}
		return out, s.take(']')
	}
}

func (s *scanner) mapValue() (any, bool) {
	s.i++
	out := map[string]any{}
	if s.take('}') {
		return out, true
	}
	for {
		k, ok := s.str(true)
		if !ok || !s.take(':') {
			return nil, false
		}
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		out[k] = v // the last of repeated keys wins, as in encoding/json
		if s.take(',') {
			continue
		}
		return out, s.take('}')
	}
}

// typeArg gives a's value the Go type Argument.UnmarshalJSON gives it for a.Type, or answers
// false where that decoder fails or builds a type this one leaves to it.
func typeArg(a *trace.Argument, lit []byte) bool {
	if lit != nil {
		if strings.HasSuffix(a.Type, "*") {
			n, ok := parseUint(lit, 64)
			a.Type, a.Value = "trace.Pointer", trace.Pointer(n)
			return ok
		}
		switch a.Type {
		case "trace.Pointer":
			n, ok := parseUint(lit, 64)
			a.Value = trace.Pointer(n)
			return ok
		case "int32":
			n, ok := parseInt(lit, 32)
			a.Value = int32(n)
			return ok
		case "int64":
			n, ok := parseInt(lit, 64)
			a.Value = n
			return ok
		case "uint32":
			n, ok := parseUint(lit, 32)
			a.Value = uint32(n)
			return ok
		case "uint64":
			n, ok := parseUint(lit, 64)
			a.Value = n
			return ok
		case "uint16":
			n, ok := parseUint(lit, 16)
			a.Value = uint16(n)
			return ok
		case "int8":
			n, ok := parseInt(lit, 8)
			a.Value = int8(n)
			return ok
		case "uint8":
			n, ok := parseUint(lit, 8)
			a.Value = uint8(n)
			return ok
		case "float":
			f, err := strconv.ParseFloat(string(lit), 32)
			a.Value = float32(f)
			return err == nil
		case "float64":
			f, err := strconv.ParseFloat(string(lit), 64)
			a.Value = f
			return err == nil
		}
		return false
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
