package signatures

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The argument readers give what the trace.Event getters give, value and error or not, on every
// kind of argument: present, missing, nil, of another type, repeated.
func TestArgReaders_equal_the_trace_Event_getters(t *testing.T) {
	args := []trace.Argument{
		{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "const char*"}, Value: "/etc/passwd"},
		{ArgMeta: trace.ArgMeta{Name: "argv", Type: "const char**"}, Value: []string{"ls", "-l"}},
		{ArgMeta: trace.ArgMeta{Name: "i32", Type: "int"}, Value: int32(-7)},
		{ArgMeta: trace.ArgMeta{Name: "i64", Type: "long"}, Value: int64(1 << 40)},
		{ArgMeta: trace.ArgMeta{Name: "int", Type: "int"}, Value: 3},
		{ArgMeta: trace.ArgMeta{Name: "u64", Type: "u64"}, Value: uint64(9)},
		{ArgMeta: trace.ArgMeta{Name: "nil", Type: "const char*"}, Value: nil},
		{ArgMeta: trace.ArgMeta{Name: "nilslice", Type: "const char**"}, Value: []string(nil)},
		{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "const char*"}, Value: "/second"},
	}
	ev := &trace.Event{EventName: "test", Args: args}
	for _, name := range []string{"pathname", "argv", "i32", "i64", "int", "u64", "nil", "nilslice", "missing"} {
		t.Run(name, func(t *testing.T) {
			s, err := stringArg(ev, name)
			ws, werr := ev.GetStringArgumentByName(name)
			assert.Equal(t, ws, s)
			assert.Equal(t, werr == nil, err == nil, "string: %v / %v", werr, err)

			l, err := stringsArg(ev, name)
			wl, werr := ev.GetSliceStringArgumentByName(name)
			assert.Equal(t, wl, l)
			assert.Equal(t, werr == nil, err == nil, "[]string: %v / %v", werr, err)

			n, err := intArg(ev, name)
			wn, werr := ev.GetIntArgumentByName(name)
			assert.Equal(t, wn, n)
			assert.Equal(t, werr == nil, err == nil, "int: %v / %v", werr, err)
		})
	}
}
