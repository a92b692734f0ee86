package elasticsearch

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Append-style JSON that produces the same bytes as encoding/json for the values Tracee events
// carry, without reflection or allocation; any other value is handed to encoding/json.
// TestAppendEvent_matches_encoding_json holds the two together.

const hexDigits = "0123456789abcdef"

// plainJSONByte says which ASCII bytes a JSON string holds as they are (encoding/json's HTML-safe
// set): one table load per byte instead of six comparisons.
var plainJSONByte = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendJSONString appends s quoted and escaped exactly as encoding/json does (HTML-safe,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if plainJSONByte[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONValue appends v as encoding/json would.
func appendJSONValue(dst []byte, v interface{}) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case trace.Pointer:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, s)
		}
		return append(dst, ']'), nil
	case []uint64:
		return appendUints(dst, x), nil
	case []interface{}:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONValue(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case map[string]string:
		return appendSortedMap(dst, x, func(dst []byte, v string) ([]byte, error) { return appendJSONString(dst, v), nil })
	case map[string]interface{}:
		return appendJSONMap(dst, x)
	case []trace.Argument:
		return appendArgs(dst, x)
	case trace.Argument:
		return appendArg(dst, &x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

func appendJSONMap(dst []byte, m map[string]interface{}) ([]byte, error) {
	return appendSortedMap(dst, m, appendJSONValue)
}

// appendSortedMap writes m as a JSON object with its keys sorted, as encoding/json does.
func appendSortedMap[V any](dst []byte, m map[string]V, appendValue func([]byte, V) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendJSONString(dst, k), ':')
		var err error
		if dst, err = appendValue(dst, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendUints(dst []byte, x []uint64) []byte {
	if x == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, u := range x {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, u, 10)
	}
	return append(dst, ']')
}

func appendStrings(dst []byte, x []string) []byte {
	if x == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range x {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

func appendArg(dst []byte, a *trace.Argument) ([]byte, error) {
	dst, err := appendJSONValue(appendArgHead(dst, a), a.Value)
	return append(dst, '}'), err
}

// appendArgHead appends an argument up to its value: {"name":...,"type":...,"value":
func appendArgHead(dst []byte, a *trace.Argument) []byte {
	dst = append(dst, `{"name":`...)
	dst = appendJSONString(dst, a.Name)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, a.Type)
	return append(dst, `,"value":`...)
}

// appendArgs appends an event's arguments as encoding/json does (null for nil).
func appendArgs(dst []byte, args []trace.Argument) ([]byte, error) {
	return appendArgsRecording(dst, args, nil, nil)
}

// appendArgsRecording is appendArgs writing the span of the i-th value into spans[i] (spans nil:
// none) and encoding values through v (nil: appendJSONValue).
func appendArgsRecording(dst []byte, args []trace.Argument, spans []span, v *argValues) ([]byte, error) {
	if args == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i := range args {
		if i > 0 {
			dst = append(dst, ',')
		}
		a := &args[i]
		dst = appendArgHead(dst, a)
		start := len(dst)
		var err error
		if dst, err = v.appendValue(dst, a); err != nil {
			return dst, err
		}
		if spans != nil {
			spans[i] = span{start, len(dst)}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// field appends ,"name": (a field after the first: the caller writes the brace and first field).
func field(dst []byte, name string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendEvent appends ev exactly as encoding/json marshals a trace.Event (what --output json
// prints). argsJSON, when not nil, is ev.Args already encoded.
func appendEvent(dst []byte, ev *trace.Event, argsJSON []byte) ([]byte, error) {
	dst = append(dst, `{"timestamp":`...)
	dst = strconv.AppendInt(dst, int64(ev.Timestamp), 10)
	dst = strconv.AppendInt(field(dst, "threadStartTime"), int64(ev.ThreadStartTime), 10)
	dst = strconv.AppendInt(field(dst, "processorId"), int64(ev.ProcessorID), 10)
	dst = strconv.AppendInt(field(dst, "processId"), int64(ev.ProcessID), 10)
	dst = strconv.AppendUint(field(dst, "cgroupId"), uint64(ev.CgroupID), 10)
	dst = strconv.AppendInt(field(dst, "threadId"), int64(ev.ThreadID), 10)
	dst = strconv.AppendInt(field(dst, "parentProcessId"), int64(ev.ParentProcessID), 10)
	dst = strconv.AppendInt(field(dst, "hostProcessId"), int64(ev.HostProcessID), 10)
	dst = strconv.AppendInt(field(dst, "hostThreadId"), int64(ev.HostThreadID), 10)
	dst = strconv.AppendInt(field(dst, "hostParentProcessId"), int64(ev.HostParentProcessID), 10)
	dst = strconv.AppendInt(field(dst, "userId"), int64(ev.UserID), 10)
	dst = strconv.AppendInt(field(dst, "mountNamespace"), int64(ev.MountNS), 10)
	dst = strconv.AppendInt(field(dst, "pidNamespace"), int64(ev.PIDNS), 10)
	dst = appendJSONString(field(dst, "processName"), ev.ProcessName)
	dst = append(field(dst, "executable"), `{"path":`...)
	dst = append(appendJSONString(dst, ev.Executable.Path), '}')
	dst = appendJSONString(field(dst, "hostName"), ev.HostName)
	dst = appendJSONString(field(dst, "containerId"), ev.ContainerID)
	dst = append(field(dst, "container"), '{')
	c := ev.Container
	dst = optString(dst, "id", c.ID)
	dst = optString(dst, "name", c.Name)
	dst = optString(dst, "image", c.ImageName)
	dst = optString(dst, "imageDigest", c.ImageDigest)
	dst = append(dst, '}')
	dst = append(field(dst, "kubernetes"), '{')
	k := ev.Kubernetes
	dst = optString(dst, "podName", k.PodName)
	dst = optString(dst, "podNamespace", k.PodNamespace)
	dst = optString(dst, "podUID", k.PodUID)
	if k.PodSandbox {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = append(dst, `"podSandbox":true`...)
	}
	dst = append(dst, '}')
	dst = append(field(dst, "eventId"), '"')
	dst = append(strconv.AppendInt(dst, int64(ev.EventID), 10), '"')
	dst = appendJSONString(field(dst, "eventName"), ev.EventName)
	if len(ev.MatchedPolicies) > 0 {
		dst = appendStrings(field(dst, "matchedPolicies"), ev.MatchedPolicies)
	}
	dst = strconv.AppendInt(field(dst, "argsNum"), int64(ev.ArgsNum), 10)
	dst = strconv.AppendInt(field(dst, "returnValue"), int64(ev.ReturnValue), 10)
	dst = appendJSONString(field(dst, "syscall"), ev.Syscall)
	dst = appendUints(field(dst, "stackAddresses"), ev.StackAddresses)
	dst = append(field(dst, "contextFlags"), `{"containerStarted":`...)
	dst = strconv.AppendBool(dst, ev.ContextFlags.ContainerStarted)
	dst = append(dst, `,"isCompat":`...)
	dst = append(strconv.AppendBool(dst, ev.ContextFlags.IsCompat), '}')
	dst = strconv.AppendUint(field(dst, "threadEntityId"), uint64(ev.ThreadEntityId), 10)
	dst = strconv.AppendUint(field(dst, "processEntityId"), uint64(ev.ProcessEntityId), 10)
	dst = strconv.AppendUint(field(dst, "parentEntityId"), uint64(ev.ParentEntityId), 10)
	dst = field(dst, "args")
	var err error
	if argsJSON != nil {
		dst = append(dst, argsJSON...)
	} else if dst, err = appendArgs(dst, ev.Args); err != nil {
		return dst, err
	}
	if md := ev.Metadata; md != nil {
		dst = append(field(dst, "metadata"), `{"Version":`...)
		dst = appendJSONString(dst, md.Version)
		dst = appendJSONString(field(dst, "Description"), md.Description)
		dst = appendStrings(field(dst, "Tags"), md.Tags)
		if dst, err = appendJSONMap(field(dst, "Properties"), md.Properties); err != nil {
			return dst, err
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// optString appends "name":"value" when value is not empty (omitempty), after a comma unless it
// is the object's first field.
func optString(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

// argValues records where each argument's value was encoded, so that tracee.args copies the bytes
// instead of encoding the values again: own for the event's arguments, trigger for those of
// the event under its detectedFrom argument (the first one, as detectedFrom reads it). A list of
// more than maxSpannedArgs arguments is not recorded (its values are encoded again).
type argValues struct {
	own, trigger    recordedArgs
	sawDetectedFrom bool
}

// recordedArgs is one argument list of n arguments whose values' spans were recorded: first is
// its first argument (nil: none recorded), spans[i] the span of the i-th value.
type recordedArgs struct {
	first *trace.Argument
	n     int
	spans [maxSpannedArgs]span
}

type span struct{ start, end int }

const maxSpannedArgs = 32

// appendArgs is appendArgs recording the spans of the values of args and, in the first
// detectedFrom's map, of the trigger's arguments.
func (v *argValues) appendArgs(dst []byte, args []trace.Argument) ([]byte, error) {
	if len(args) == 0 || len(args) > maxSpannedArgs {
		return appendArgs(dst, args)
	}
	dst, err := appendArgsRecording(dst, args, v.own.spans[:len(args)], v)
	if err == nil {
		v.own.first, v.own.n = &args[0], len(args)
	}
	return dst, err
}

// appendValue encodes a's value; the first detectedFrom map goes through appendTriggerValue.
func (v *argValues) appendValue(dst []byte, a *trace.Argument) ([]byte, error) {
	if v == nil || a.Name != argDetectedFrom || v.sawDetectedFrom {
		return appendJSONValue(dst, a.Value)
	}
	v.sawDetectedFrom = true // the one detectedFrom reads
	if m, ok := a.Value.(map[string]interface{}); ok {
		return appendSortedMap(dst, m, v.appendTriggerValue)
	}
	return appendJSONValue(dst, a.Value)
}

// appendTriggerValue encodes a value of the detectedFrom map, recording the spans of the
// trigger's arguments (the map's []trace.Argument value, under "args").
func (v *argValues) appendTriggerValue(dst []byte, x interface{}) ([]byte, error) {
	args, ok := x.([]trace.Argument)
	if !ok || v.trigger.first != nil || len(args) == 0 || len(args) > maxSpannedArgs {
		return appendJSONValue(dst, x)
	}
	dst, err := appendArgsRecording(dst, args, v.trigger.spans[:len(args)], nil)
	if err == nil {
		v.trigger.first, v.trigger.n = &args[0], len(args)
	}
	return dst, err
}

// of returns the encoded value of list[i] from src when it was recorded.
func (v *argValues) of(src []byte, list []trace.Argument, i int) ([]byte, bool) {
	if v == nil {
		return nil, false
	}
	for _, r := range [2]*recordedArgs{&v.own, &v.trigger} {
		if r.first != nil && len(list) == r.n && &list[0] == r.first {
			return src[r.spans[i].start:r.spans[i].end], true
		}
	}
	return nil, false
}
