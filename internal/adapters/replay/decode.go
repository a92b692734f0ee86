package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Decoder reads one JSON event with Tracee's own decoder (trace.Argument.UnmarshalJSON of the
// published types module). Lines it refuses because of argument type names (our releases before
// Tracee v0.24's Go type names wrote C ones: "int", "const char*", "dev_t"; Tracee writes
// "time.Time", which its own decoder refuses) are decoded again with each argument typed by the
// event's definition, or by the C type's Go equivalent for arguments no definition names.
type Decoder struct {
	params map[string]map[string]string // event name -> argument name -> Go type
	ids    map[string]int
	fast   fastState
}

// NewDecoder returns a decoder that knows defs. A Decoder is for one goroutine at a time.
func NewDecoder(defs []domain.EventDefinition) *Decoder {
	d := &Decoder{params: make(map[string]map[string]string, len(defs)), ids: make(map[string]int, len(defs)),
		fast: fastState{names: map[string]string{}, values: map[string]any{}, argNames: map[string][]trace.ArgMeta{},
			order: newKeyOrders()}}
	for _, def := range defs {
		m := make(map[string]string, len(def.Params))
		for _, p := range def.Params {
			m[p.Name] = p.Type
		}
		d.params[def.Name] = m
		d.ids[def.Name] = def.ID
	}
	return d
}

// ErrV1Beta1 is returned for events in the shape of Tracee's main-branch printer.
var ErrV1Beta1 = errors.New("this is Tracee's newer v1beta1 event shape (Tracee's main branch), which this agent does not read; record with Tracee v0.24's `-o json` or this agent's")

// Decode decodes one line into ev, replacing what ev held. It gives what decodeTracee gives: the
// fast decoder reads the lines it fully understands, Tracee's decoder the others.
func (d *Decoder) Decode(raw []byte, ev *trace.Event) error {
	_, err := d.decodeWanted(raw, ev, nil)
	return err
}

// decodeWanted is Decode for a source that drops the events want does not want (nil: all are
// wanted): of those, ev holds the name only and wanted is false. A line gets the same error
// either way.
func (d *Decoder) decodeWanted(raw []byte, ev *trace.Event, want func(name string) bool) (wanted bool, err error) {
	*ev = trace.Event{}
	if ok, wanted := d.decodeFast(raw, ev, want); ok {
		if !wanted {
			return false, nil
		}
		if len(ev.Args) > 0 {
			ev.Args = slices.Clone(ev.Args) // out of the decoder's scratch
		}
		d.finish(ev)
		return true, nil
	}
	if err := d.decodeTracee(raw, ev); err != nil {
		return false, err
	}
	return want == nil || want(ev.EventName), nil
}

// decodeTracee decodes one line into ev with encoding/json and Tracee's Argument.UnmarshalJSON.
func (d *Decoder) decodeTracee(raw []byte, ev *trace.Event) error {
	*ev = trace.Event{}
	err := json.Unmarshal(raw, ev)
	if err != nil {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			return err
		}
		if _, ok := fields["eventName"]; !ok {
			if _, v1 := fields["workload"]; v1 {
				return ErrV1Beta1
			}
			return err
		}
		fixed, ferr := d.retype(fields)
		if ferr != nil {
			return fmt.Errorf("%w (and as older C-typed JSON: %v)", err, ferr)
		}
		*ev = trace.Event{}
		if err2 := json.Unmarshal(fixed, ev); err2 != nil {
			return err
		}
	}
	d.finish(ev)
	return nil
}

// finish renumbers events of known names and gives their arguments the live source's Go types.
func (d *Decoder) finish(ev *trace.Event) {
	if id, ok := d.ids[ev.EventName]; ok {
		ev.EventID = id // older recordings carry Tracee's pre-v0.24 numbering
		known := d.params[ev.EventName]
		for i := range ev.Args {
			a := &ev.Args[i]
			if _, legacy := goTypeOfC[a.Type]; legacy {
				if t, ok := known[a.Name]; ok {
					a.Type = t // a C-typed string or list that Tracee's decoder let through
				}
			}
			a.Value = liveValue(a.Type, a.Value)
		}
	}
}

type legacyArg struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// retype rewrites the args' type names to Go ones.
func (d *Decoder) retype(fields map[string]json.RawMessage) ([]byte, error) {
	var name string
	if err := json.Unmarshal(fields["eventName"], &name); err != nil {
		return nil, fmt.Errorf("eventName: %w", err)
	}
	var args []legacyArg
	if raw, ok := fields["args"]; ok && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &args); err != nil {
			return nil, fmt.Errorf("args: %w", err)
		}
	}
	known := d.params[name]
	for i := range args {
		args[i].Type = retypeName(known, args[i].Name, args[i].Type)
		if isNumber(args[i].Value) && !numericType[args[i].Type] {
			return nil, fmt.Errorf("argument %s: a number where type %s is declared", args[i].Name, args[i].Type)
		}
	}
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	fields["args"] = b
	return json.Marshal(fields)
}

// retypeName is the Go type name of an argument of an older recording: the event's definition's,
// else the C type's Go equivalent.
func retypeName(known map[string]string, name, typ string) string {
	if t, ok := known[name]; ok {
		typ = t
	} else if t, ok := goTypeOfC[typ]; ok {
		typ = t
	}
	if typ == domain.TypeTime {
		typ = "uint64"
	}
	return typ
}

func isNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))
}

// numericType lists the type names Tracee's decoder turns JSON numbers into.
var numericType = map[string]bool{"int32": true, "int64": true, "uint32": true, "uint64": true, "uint16": true,
	"int8": true, "uint8": true, "float": true, "float64": true, "trace.Pointer": true}

// goTypeOfC maps the C type names of older recordings to Tracee v0.24's Go type names.
var goTypeOfC = map[string]string{
	"int": "int32", "pid_t": "int32", "uid_t": "uint32", "gid_t": "uint32", "mqd_t": "int32",
	"clockid_t": "int32", "const clockid_t": "int32", "key_t": "int32", "key_serial_t": "int32", "timer_t": "int32",
	"long": "int64", "unsigned int": "uint32", "u32": "uint32", "mode_t": "uint32", "dev_t": "uint32",
	"unsigned long": "uint64", "u64": "uint64", "off_t": "uint64", "size_t": "uint64", "loff_t": "int64",
	"unsigned short": "uint16", "umode_t": "uint16", "u16": "uint16", "old_uid_t": "uint16", "old_gid_t": "uint16",
	"u8": "uint8", "const char*": "string", "char*": "string", "const char *": "string",
	"const char**": "[]string", "const char*const*": "[]string", "struct sockaddr*": "SockAddr",
	"void*": "trace.Pointer", "bool": "bool", "double": "float64",
}

// liveValue gives JSON-decoded composite values the Go types the live source gives them, so a
// signature sees the same types live and in a replay.
func liveValue(typ string, v interface{}) interface{} {
	switch typ {
	case "[]string":
		if items, ok := v.([]interface{}); ok {
			out := make([]string, 0, len(items))
			for _, it := range items {
				s, isString := it.(string)
				if !isString {
					return v
				}
				out = append(out, s)
			}
			return out
		}
		if v == nil {
			return []string{}
		}
	case "SockAddr":
		if m, ok := v.(map[string]interface{}); ok {
			out := make(map[string]string, len(m))
			for k, it := range m {
				s, isString := it.(string)
				if !isString {
					return v
				}
				out[k] = s
			}
			return out
		}
	}
	return v
}
