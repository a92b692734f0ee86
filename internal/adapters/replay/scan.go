package replay

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// A JSON scanner over one line's bytes: the pieces the fast decoder (fast.go) builds on. Each
// reads one token and says whether it was well-formed; only the values they return allocate.

// maxDepth bounds the nesting of argument values the fast decoder follows.
const maxDepth = 32

type scanner struct {
	b       []byte
	i       int
	st      *fastState
	depth   int
	sawName bool // the line has an eventName key
	want    func(name string) bool
	check   bool // the event is not wanted: argument values are checked, not built
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
	if s.i < len(s.b) && s.b[s.i] > ' ' { // compact JSON: no white space to skip
		return s.b[s.i]
	}
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
func plainWord(x uint64) bool { return nonPlain(x) == 0 }

// nonPlain flags (0x80 in the byte) the bytes of x that are not plain. The lowest flag is exact;
// flags above it may be false (a borrow), so only its position is used.
func nonPlain(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	below := func(v uint64, n uint64) uint64 { return (v - lo*n) & ^v & hi } // a byte of v < n
	return (x & hi) | below(x, 0x20) | below(x^(lo*'"'), 1) | below(x^(lo*'\\'), 1)
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
		for s.i+8 <= len(s.b) {
			if m := nonPlain(binary.LittleEndian.Uint64(s.b[s.i:])); m != 0 {
				s.i += bits.TrailingZeros64(m) >> 3 // to the first byte that is not plain
				break
			}
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

// integer reads a JSON number that is an integer of at most 64 bits, its digits accumulated as
// they are read. It fails on a fraction, an exponent or a larger magnitude (which the callers
// leave to Tracee's decoder) as on anything that is not a number.
func (s *scanner) integer() (neg bool, n uint64, ok bool) {
	s.ws()
	i := s.i
	if i < len(s.b) && s.b[i] == '-' {
		neg = true
		i++
	}
	start := i
	switch {
	case i >= len(s.b):
		return false, 0, false
	case s.b[i] == '0':
		i++
	case s.b[i] >= '1' && s.b[i] <= '9':
		for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
			n = n*10 + uint64(s.b[i]-'0')
			i++
		}
		if i-start > 19 { // 19 digits always fit in 64 bits; more may have wrapped
			if n, ok = parseUint(s.b[start:i], 64); !ok {
				return false, 0, false
			}
		}
	default:
		return false, 0, false
	}
	if i < len(s.b) && (s.b[i] == '.' || s.b[i] == 'e' || s.b[i] == 'E') {
		return false, 0, false
	}
	s.i = i
	return neg, n, true
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

func (s *scanner) null() bool {
	return s.next() == 'n' && s.literal("null")
}

// keySet is the keys an object may have, in the order they usually come. An object's keys are
// read by comparing the bytes of the key expected next (`"name":`) before scanning for any other.
type keySet struct {
	quoted []quotedKey    // each key with its quotes and colon
	index  map[string]int // each key's place
}

func newKeySet(keys ...string) *keySet {
	ks := &keySet{index: map[string]int{}}
	for i, k := range keys {
		q := quotedKey{s: `"` + k + `":`}
		for j := 0; j < len(q.s) && j < 8*len(q.w); j++ {
			q.w[j/8] |= uint64(q.s[j]) << (8 * (j % 8))
			q.m[j/8] |= 0xff << (8 * (j % 8))
		}
		ks.quoted = append(ks.quoted, q)
		ks.index[k] = i
	}
	return ks
}

// quotedKey is a key as it appears in compact JSON (`"name":`), with its bytes as words for a
// comparison without a call.
type quotedKey struct {
	s    string
	w, m [3]uint64 // s's bytes, little-endian and zero-padded, and the mask of its bytes
}

// at says b starts with the key.
func (q *quotedKey) at(b []byte) bool {
	if len(b) < 8*len(q.w) || len(q.s) > 8*len(q.w) {
		return len(b) >= len(q.s) && string(b[:len(q.s)]) == q.s
	}
	le := binary.LittleEndian
	return le.Uint64(b)&q.m[0] == q.w[0] && le.Uint64(b[8:])&q.m[1] == q.w[1] && le.Uint64(b[16:])&q.m[2] == q.w[2]
}

// object calls field with the place of each key of an object; field reads the key's value. A key
// seen twice (encoding/json merges those) or not in keys fails the object. follow[k+1] is the key
// expected after key k (follow[0]: the first), learned from the objects read before; it has
// len(keys.quoted)+1 entries.
func (s *scanner) object(keys *keySet, follow []int8, field func(k int) bool) bool {
	if !s.take('{') {
		return false
	}
	if s.take('}') {
		return true
	}
	var seen uint64
	last := -1
	for {
		k := int(follow[last+1])
		if q := &keys.quoted[k]; s.next() == '"' && q.at(s.b[s.i:]) {
			s.i += len(q.s)
		} else {
			key, plain, ok := s.rawString()
			if !ok || !plain || !s.take(':') {
				return false
			}
			if k, ok = keys.index[string(key)]; !ok {
				return false
			}
			follow[last+1] = int8(k)
		}
		if seen&(1<<k) != 0 || !field(k) {
			return false
		}
		seen |= 1 << k
		last = k
		if s.take(',') {
			continue
		}
		return s.take('}')
	}
}

// validInt says lit is a JSON integer literal: what the `,string` option reads as a number.
func validInt(lit []byte) bool {
	sub := &scanner{b: lit}
	n, ok := sub.number()
	return ok && len(n) == len(lit) && !hasByte(lit, '.') && !hasByte(lit, 'e') && !hasByte(lit, 'E')
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

// list reads an array into []any. Its items gather on a stack shared by nested lists, so the
// result is allocated once, at its size. When the event is only checked, the result merely
// says whether every item is a string (what typeArg looks at).
func (s *scanner) list() (any, bool) {
	s.i++
	if s.take(']') {
		return []any{}, true
	}
	base := len(s.st.stack)
	defer func() {
		clear(s.st.stack[base:])
		s.st.stack = s.st.stack[:base]
	}()
	strs := true
	for {
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		_, isString := v.(string)
		strs = strs && isString
		if !s.check {
			s.st.stack = append(s.st.stack, v)
		}
		if s.take(',') {
			continue
		}
		if !s.take(']') {
			return nil, false
		}
		if s.check {
			if strs {
				return checkedStrings, true
			}
			return checkedMixed, true
		}
		return slices.Clone(s.st.stack[base:]), true
	}
}

// What list returns for a checked event: typeArg reads them and never changes them.
var (
	checkedStrings = []any{}
	checkedMixed   = []any{nil}
)

func (s *scanner) mapValue() (any, bool) {
	s.i++
	out := map[string]any{}
	if s.take('}') {
		return out, true
	}
	for {
		k, ok := s.str()
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
