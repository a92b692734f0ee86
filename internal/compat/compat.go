// Package compat checks events against Tracee v0.24.1's own code: a JSON line must decode with the
// published types module's decoder, and every argument of a known event must come out with the
// Go type Tracee's definition gives it, readable by the v0.24 getters with the value we meant.
package compat

import (
	"encoding/json"
	"fmt"
	"reflect"

	tracee "github.com/aquasecurity/tracee/types/trace"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Checker knows the event definitions to check against.
type Checker struct {
	params map[string]map[string]string // event -> argument -> Go type
}

// NewChecker returns a checker for defs.
func NewChecker(defs []domain.EventDefinition) *Checker {
	c := &Checker{params: map[string]map[string]string{}}
	for _, d := range defs {
		m := map[string]string{}
		for _, p := range d.Params {
			m[p.Name] = p.Type
		}
		c.params[d.Name] = m
	}
	return c
}

// CheckJSON decodes line with Tracee's decoder and compares it, argument by argument, with want
// (the event that was printed). It returns every difference.
func (c *Checker) CheckJSON(line []byte, want *trace.Event) []error {
	var got tracee.Event
	if err := json.Unmarshal(line, &got); err != nil {
		return []error{fmt.Errorf("Tracee's decoder refuses the line: %w", err)}
	}
	var errs []error
	defs, known := c.params[got.EventName]
	if got.EventName != want.EventName || got.EventID != want.EventID || len(got.Args) != len(want.Args) {
		errs = append(errs, fmt.Errorf("%s: decoded as %s/%d with %d args, printed %s/%d with %d", want.EventName,
			got.EventName, got.EventID, len(got.Args), want.EventName, want.EventID, len(want.Args)))
		return errs
	}
	for i, a := range want.Args {
		if !known {
			break // signature events and events of other builds: decoding is all we can ask
		}
		t, ok := defs[a.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: argument %s is not in the definition", want.EventName, a.Name))
			continue
		}
		if got.Args[i].Type != t {
			errs = append(errs, fmt.Errorf("%s.%s: printed type %q, the definition says %q", want.EventName, a.Name, got.Args[i].Type, t))
		}
		if err := checkValue(got, a.Name, t, a.Value); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", want.EventName, a.Name, err))
		}
	}
	return errs
}

// errSkipCompare: the getter read the value and there was nothing to compare it with.
var errSkipCompare = fmt.Errorf("not compared")

// checkValue reads the argument back with the v0.24 getter for its type and compares with want.
func checkValue(ev tracee.Event, name, typ string, want interface{}) error {
	var got interface{}
	var err error
	switch typ {
	case "string":
		got, err = ev.GetStringArgumentByName(name)
	case "int32", "int64":
		var n int
		n, err = ev.GetIntArgumentByName(name)
		got, want = int64(n), toInt64(want)
	case "uint32", "uint64":
		var n uint
		n, err = ev.GetUintArgumentByName(name)
		got, want = uint64(n), toUint64(want)
	case "[]string":
		got, err = ev.GetSliceStringArgumentByName(name)
	case "SockAddr":
		got, err = ev.GetRawAddrArgumentByName(name)
	case "[]byte":
		got, err = ev.GetBytesSliceArgumentByName(name)
	case "trace.Pointer":
		got, err = tracee.ArgVal[tracee.Pointer](ev.Args, name)
		if u, ok := toUint64(want).(uint64); ok {
			want = tracee.Pointer(u)
		}
	case "uint16":
		got, err = tracee.ArgVal[uint16](ev.Args, name)
	case "uint8":
		got, err = tracee.ArgVal[uint8](ev.Args, name)
	case "int8":
		got, err = tracee.ArgVal[int8](ev.Args, name)
	case "bool":
		got, err = tracee.ArgVal[bool](ev.Args, name)
	case "float64":
		got, err = tracee.ArgVal[float64](ev.Args, name)
	default:
		return nil // composite types ([2]int, structs): decoding is what Tracee checks
	}
	if err != nil {
		return fmt.Errorf("v0.24 getter: %w", err)
	}
	if want == nil {
		return errSkipCompare // only readability was asked
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("reads back %#v (%T), printed %#v (%T)", got, got, want, want)
	}
	return nil
}

func toInt64(v interface{}) interface{} {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return v
}

func toUint64(v interface{}) interface{} {
	switch x := v.(type) {
	case uint32:
		return uint64(x)
	case uint64:
		return x
	case uint:
		return uint64(x)
	case trace.Pointer:
		return uint64(x)
	}
	return v
}

// CheckDecoded checks one printed JSON line alone (when the printed event is not at hand, e.g. a
// live run's output file): Tracee's decoder reads it, and every argument of a known event carries
// the definition's type name and reads back through the v0.24 getter for that type.
func (c *Checker) CheckDecoded(line []byte) (tracee.Event, []error) {
	var got tracee.Event
	if err := json.Unmarshal(line, &got); err != nil {
		return got, []error{fmt.Errorf("Tracee's decoder refuses the line: %w", err)}
	}
	defs, known := c.params[got.EventName]
	if !known {
		return got, nil
	}
	var errs []error
	for _, a := range got.Args {
		t, ok := defs[a.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: argument %s is not in the definition", got.EventName, a.Name))
			continue
		}
		if a.Type != t {
			errs = append(errs, fmt.Errorf("%s.%s: printed type %q, the definition says %q", got.EventName, a.Name, a.Type, t))
		}
		if err := checkValue(got, a.Name, t, nil); err != nil && err != errSkipCompare {
			errs = append(errs, fmt.Errorf("%s.%s: %w", got.EventName, a.Name, err))
		}
	}
	if len(got.Args) != len(defs) {
		errs = append(errs, fmt.Errorf("%s: %d arguments, the definition has %d", got.EventName, len(got.Args), len(defs)))
	}
	return got, errs
}
