package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// UnmarshalJSON decodes an argument and gives its value the Go type its declared type implies,
// as Tracee does, so that signatures asserting e.g. int32 for "int" work on replayed JSON.
func (arg *Argument) UnmarshalJSON(b []byte) error {
	type plain Argument // avoids recursing into this method
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode((*plain)(arg)); err != nil {
		return err
	}
	switch v := arg.Value.(type) {
	case nil:
		if isStringSliceType(arg.Type) {
			arg.Value = []string{}
		}
		return nil
	case json.Number:
		typed, err := numberForType(v, arg.Type)
		if err != nil {
			return fmt.Errorf("argument %q of type %q: %w", arg.Name, arg.Type, err)
		}
		arg.Value = typed
	case []interface{}:
		if isStringSliceType(arg.Type) {
			out := make([]string, len(v))
			for i, item := range v {
				out[i] = fmt.Sprint(item)
			}
			arg.Value = out
		}
	}
	return nil
}

func isStringSliceType(t string) bool {
	return t == "const char*const*" || t == "const char**" || t == "[]string"
}

// numberForType converts a JSON number to the Go type Tracee uses for the C type t.
func numberForType(num json.Number, t string) (interface{}, error) {
	s := num.String()
	if strings.HasSuffix(t, "*") {
		return strconv.ParseUint(s, 10, 64)
	}
	switch t {
	case "int", "pid_t", "uid_t", "gid_t", "mqd_t", "clockid_t", "const clockid_t", "key_t", "key_serial_t", "timer_t", "landlock_rule_type":
		v, err := strconv.ParseInt(s, 10, 32)
		return int32(v), err
	case "long":
		return strconv.ParseInt(s, 10, 64)
	case "unsigned int", "u32", "mode_t", "dev_t":
		v, err := strconv.ParseUint(s, 10, 32)
		return uint32(v), err
	case "unsigned long", "u64", "off_t", "size_t":
		return strconv.ParseUint(s, 10, 64)
	case "float":
		v, err := strconv.ParseFloat(s, 32)
		return float32(v), err
	case "float64", "double":
		return strconv.ParseFloat(s, 64)
	case "unsigned short", "old_uid_t", "old_gid_t", "umode_t", "u16", "uint16":
		v, err := strconv.ParseUint(s, 10, 16)
		return uint16(v), err
	case "int8":
		v, err := strconv.ParseInt(s, 10, 8)
		return int8(v), err
	case "u8", "uint8":
		v, err := strconv.ParseUint(s, 10, 8)
		return uint8(v), err
	case "bool":
		return nil, fmt.Errorf("a number where a bool was expected")
	}
	// Unknown types keep the widest faithful representation instead of failing the whole event.
	if i, err := num.Int64(); err == nil {
		return i, nil
	}
	return num.Float64()
}
