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
	order    keyOrders                  // the key orders last seen
	// recently read names and values, in front of names and values
	recentNames  [recentSize]string
	recentValues [recentSize]recentValue
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
	slot := &s.st.recentNames[recentSlot(raw)]
	if *slot == string(raw) {
		return *slot, true
	}
	v, found := s.st.names[string(raw)] // no allocation for the lookup
	if !found {
		if len(s.st.names) >= maxInterned {
			clear(s.st.names)
		}
		v = string(raw)
		s.st.names[v] = v
	}
	*slot = v
	return v, true
}

// recentSlot places a string in a cache of recently read strings (fastState.recentNames and
// recentValues): one that repeats is found by comparing it with one entry, without hashing it.
func recentSlot(raw []byte) int {
	n := len(raw)
	if n == 0 {
		return 0
	}
	return (n*31 + int(raw[0])*7 + int(raw[n/2])*131 + int(raw[n-1])) & (recentSize - 1)
}

const recentSize = 1024

// recentValue is a string argument value and its box.
type recentValue struct {
	s string
	v any
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
	slot := &s.st.recentValues[recentSlot(raw)]
	if slot.s == string(raw) && slot.v != nil {
		return slot.v, true
	}
	v, found := s.st.values[string(raw)]
	if !found {
		if len(s.st.values) >= maxInternedValues {
			clear(s.st.values)
		}
		v = string(raw)
		s.st.values[v.(string)] = v
	}
	*slot = recentValue{s: v.(string), v: v}
	return v, true
}

func (s *scanner) intField(dst *int) bool {
	if s.null() {
		return true
	}
	neg, n, ok := s.integer()
	switch {
	case !ok:
		return false
	case neg:
		*dst = -int(n)
		return n <= 1<<63
	}
	*dst = int(n)
	return n < 1<<63
}

func (s *scanner) uintField(dst *uint64, bits uint) bool {
	if s.null() {
		return true
	}
	neg, n, ok := s.integer()
	*dst = n
	return ok && !neg && (bits == 64 || n < 1<<bits)
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

// strFieldLast is strField for a field whose value often repeats the previous line's: last holds
// that value (shared when equal) and is updated.
func (s *scanner) strFieldLast(dst *string, last *string) bool {
	ok := s.strField(dst, *last)
	*last = *dst
	return ok
}

// decodeFast decodes raw into ev as Decode's Tracee path does before its final step (d.finish),
// or answers false. ev must be zero. ev.Args is the decoder's scratch, valid until the next call:
// Decode copies it. When want (if set) does not want the event's name, the arguments are only
// checked: the answer is the same, but only ev's name is to be used, and wanted is false.
func (d *Decoder) decodeFast(raw []byte, ev *trace.Event, want func(name string) bool) (ok, wanted bool) {
	st := &d.fast
	defer func() { clear(st.args); clear(st.lits) }()
	s := scanner{b: raw, st: st, want: want}
	if !s.object(eventKeys, st.order.event[:], func(k int) bool { return s.eventField(k, ev) }) {
		return false, false
	}
	if s.ws(); s.i != len(s.b) {
		return false, false
	}
	if !s.sawName && want != nil {
		s.check = !want(ev.EventName) // as for an empty name; eventName set it otherwise
	}
	check := s.check
	typed := true
	for i := range ev.Args {
		if !typeArg(&ev.Args[i], st.lits[i], check) {
			typed = false
			break
		}
	}
	if typed {
		return true, !check
	}
	if !s.sawName {
		return false, false // Tracee's decoder refused the line and there is no event to retype
	}
	// What Decode does when Tracee's decoder refuses the line: type the arguments by the event's
	// definition (or the C type's Go name) and decode them again.
	known := d.params[ev.EventName]
	for i := range ev.Args {
		a := st.args[i]
		a.Type = retypeName(known, a.Name, a.Type)
		if st.lits[i] != nil && !numericType[a.Type] {
			return false, false
		}
		if !typeArg(&a, st.lits[i], check) {
			return false, false
		}
		ev.Args[i] = a
	}
	return true, !check
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
			ok := s.object(argKeys, st.order.arg[:], func(k int) bool {
				switch k {
				case 0:
					return s.strField(&a.Name, was.Name)
				case 1:
					return s.strField(&a.Type, was.Type)
				}
				if c := s.next(); c == '-' || (c >= '0' && c <= '9') {
					var ok bool
					lit, ok = s.number() // typed by typeArg: no json.Number in between
					return ok
				}
				v, ok := s.value()
				a.Value = v
				return ok
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
