// Package helpers offers the argument accessors and small predicates that signatures use. It is
// source-compatible with Tracee's signatures/helpers for the functions signatures call, so a
// Tracee signature compiles here by changing the import prefix. The non-Tracee accessors at the
// end (StringArg, IntArg, ...) read []trace.Argument without copying the event or allocating.
package helpers

import (
	"encoding/base64"
	"fmt"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// GetArgOps tunes the argument getters.
type GetArgOps struct {
	// DefaultArgs accepts an argument whose value is nil; otherwise such an argument is an error.
	DefaultArgs bool
}

// GetArgOptions is another name for GetArgOps.
type GetArgOptions = GetArgOps

// ArgVal returns the value of the argument called argName asserted to T.
func ArgVal[T any](args []trace.Argument, argName string) (T, error) {
	var zero T
	for i := range args {
		if args[i].Name != argName {
			continue
		}
		v, ok := args[i].Value.(T)
		if !ok {
			return zero, fmt.Errorf("argument %s is of type %T, not %T", argName, args[i].Value, zero)
		}
		return v, nil
	}
	return zero, fmt.Errorf("argument %s not found", argName)
}

// GetTraceeArgumentByName returns the argument of event called argName.
func GetTraceeArgumentByName(event trace.Event, argName string, opts GetArgOps) (trace.Argument, error) {
	for i := range event.Args {
		if event.Args[i].Name != argName {
			continue
		}
		if event.Args[i].Value == nil && !opts.DefaultArgs {
			return event.Args[i], fmt.Errorf("argument %s has no value", argName)
		}
		return event.Args[i], nil
	}
	return trace.Argument{}, fmt.Errorf("argument %s not found", argName)
}

// GetTraceeStringArgumentByName returns a string argument.
func GetTraceeStringArgumentByName(event trace.Event, argName string) (string, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return "", err
	}
	if s, ok := arg.Value.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("argument %s is of type %T, not string", argName, arg.Value)
}

// GetTraceeIntArgumentByName returns a signed integer argument as int. Unsigned values that fit
// are accepted too, because events decoded from other producers do not always keep the C signedness.
func GetTraceeIntArgumentByName(event trace.Event, argName string) (int, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return 0, err
	}
	if v, ok := toInt64(arg.Value); ok {
		return int(v), nil
	}
	return 0, fmt.Errorf("argument %s is of type %T, not an integer", argName, arg.Value)
}

// GetTraceeUintArgumentByName returns an unsigned integer argument as uint.
func GetTraceeUintArgumentByName(event trace.Event, argName string) (uint, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return 0, err
	}
	if v, ok := toUint64(arg.Value); ok {
		return uint(v), nil
	}
	return 0, fmt.Errorf("argument %s is of type %T, not an unsigned integer", argName, arg.Value)
}

// GetTraceeSliceStringArgumentByName returns a []string argument (argv, env ...).
func GetTraceeSliceStringArgumentByName(event trace.Event, argName string) ([]string, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return nil, err
	}
	if s, ok := arg.Value.([]string); ok {
		return s, nil
	}
	return nil, fmt.Errorf("argument %s is of type %T, not []string", argName, arg.Value)
}

// GetTraceeBytesSliceArgumentByName returns a []byte argument; a string is read as base64, which
// is how []byte arguments look after a JSON round trip.
func GetTraceeBytesSliceArgumentByName(event trace.Event, argName string) ([]byte, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return nil, err
	}
	switch v := arg.Value.(type) {
	case []byte:
		return v, nil
	case string:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("argument %s: not base64: %w", argName, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("argument %s is of type %T, not []byte", argName, arg.Value)
}

// GetRawAddrArgumentByName returns a struct sockaddr* argument as the map Tracee uses
// (sa_family, sin_addr, sin_port, sin6_addr, sin6_port, sun_path ...).
func GetRawAddrArgumentByName(event trace.Event, argName string) (map[string]string, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return nil, err
	}
	return sockAddrMap(argName, arg.Value)
}

// GetTraceeSockAddrArgumentByName is GetRawAddrArgumentByName under a more telling name.
func GetTraceeSockAddrArgumentByName(event trace.Event, argName string) (map[string]string, error) {
	return GetRawAddrArgumentByName(event, argName)
}

func sockAddrMap(argName string, value interface{}) (map[string]string, error) {
	switch v := value.(type) {
	case map[string]string:
		return v, nil
	case map[string]interface{}:
		out := make(map[string]string, len(v))
		for k, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("argument %s: field %s is of type %T, not string", argName, k, item)
			}
			out[k] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("argument %s is of type %T, not a socket address", argName, value)
}

// GetTraceeHookedSymbolDataArgumentByName returns a list of hooked kernel symbols.
func GetTraceeHookedSymbolDataArgumentByName(event trace.Event, argName string) ([]trace.HookedSymbolData, error) {
	arg, err := GetTraceeArgumentByName(event, argName, GetArgOps{})
	if err != nil {
		return nil, err
	}
	switch v := arg.Value.(type) {
	case []trace.HookedSymbolData:
		return v, nil
	case []interface{}:
		out := make([]trace.HookedSymbolData, 0, len(v))
		for _, item := range v {
			m, ok := item.(map[string]interface{})
			if !ok {
				continue
			}
			var sym trace.HookedSymbolData
			sym.SymbolName, _ = m["SymbolName"].(string)
			sym.ModuleOwner, _ = m["ModuleOwner"].(string)
			out = append(out, sym)
		}
		return out, nil
	}
	return nil, fmt.Errorf("argument %s is of type %T, not a list of hooked symbols", argName, arg.Value)
}

// StringArg returns the string argument called name; false when absent or not a string.
func StringArg(args []trace.Argument, name string) (string, bool) {
	for i := range args {
		if args[i].Name == name {
			s, ok := args[i].Value.(string)
			return s, ok
		}
	}
	return "", false
}

// IntArg returns any integer argument called name as int64; false when absent or not an integer.
func IntArg(args []trace.Argument, name string) (int64, bool) {
	for i := range args {
		if args[i].Name == name {
			return toInt64(args[i].Value)
		}
	}
	return 0, false
}

// UintArg returns any integer argument called name as uint64; false when absent, negative or not
// an integer.
func UintArg(args []trace.Argument, name string) (uint64, bool) {
	for i := range args {
		if args[i].Name == name {
			return toUint64(args[i].Value)
		}
	}
	return 0, false
}

// StringSliceArg returns the []string argument called name; false when absent or of another type.
func StringSliceArg(args []trace.Argument, name string) ([]string, bool) {
	for i := range args {
		if args[i].Name == name {
			s, ok := args[i].Value.([]string)
			return s, ok
		}
	}
	return nil, false
}

// ArgValue returns the raw value of the argument called name.
func ArgValue(args []trace.Argument, name string) (interface{}, bool) {
	for i := range args {
		if args[i].Name == name {
			return args[i].Value, true
		}
	}
	return nil, false
}

func toInt64(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint64:
		return int64(n), true
	case uint:
		return int64(n), true
	case uintptr:
		return int64(n), true
	}
	return 0, false
}

func toUint64(v interface{}) (uint64, bool) {
	switch n := v.(type) {
	case uint32:
		return uint64(n), true
	case uint64:
		return n, true
	case uint:
		return uint64(n), true
	case uint16:
		return uint64(n), true
	case uint8:
		return uint64(n), true
	case uintptr:
		return uint64(n), true
	case int32:
		return uint64(n), n >= 0
	case int64:
		return uint64(n), n >= 0
	case int:
		return uint64(n), n >= 0
	case int16:
		return uint64(n), n >= 0
	case int8:
		return uint64(n), n >= 0
	}
	return 0, false
}
