package domain

import (
	"fmt"
	"reflect"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// FindingToEvent turns a finding into a signature event with Tracee's semantics: the triggering
// event's context is copied, the finding's data become arguments, a detectedFrom argument records
// the triggering event, and the signature metadata becomes the event's metadata.
func FindingToEvent(f *detect.Finding, eventID int) trace.Event {
	var ev trace.Event
	switch p := f.Event.Payload.(type) {
	case trace.Event:
		ev = p
	case *trace.Event:
		ev = *p
	}
	trigger := ev
	data := f.GetData()
	args := make([]trace.Argument, 0, len(data)+1)
	for _, k := range sortedKeys(data) {
		t, v := FindingArgType(data[k])
		args = append(args, trace.Argument{ArgMeta: trace.ArgMeta{Name: k, Type: t}, Value: v})
	}
	args = append(args, trace.Argument{
		ArgMeta: trace.ArgMeta{Name: "detectedFrom", Type: "unknown"},
		Value: map[string]interface{}{
			"id":          trigger.EventID,
			"name":        trigger.EventName,
			"args":        trigger.Args,
			"returnValue": trigger.ReturnValue,
		},
	})
	md := f.SigMetadata
	props := make(map[string]interface{}, len(md.Properties)+2)
	for k, v := range md.Properties {
		props[k] = v
	}
	props["signatureID"] = md.ID
	props["signatureName"] = md.Name
	ev.EventID = eventID
	ev.EventName = md.EventName
	ev.Args = args
	ev.ArgsNum = len(args)
	ev.ReturnValue = 0
	ev.StackAddresses = nil
	ev.Metadata = &trace.Metadata{Version: md.Version, Description: md.Description, Tags: md.Tags, Properties: props}
	return ev
}

// FindingArgType names a finding value's Go type the way Tracee v0.24's JSON decoder reads it back
// (int32, int64, uint32, uint64, uint16, int8, uint8, float, float64, string, bool, []string, ...),
// widening the Go types it has no name for (int, int16, uint) to one it has.
func FindingArgType(v interface{}) (string, interface{}) {
	switch x := v.(type) {
	case int:
		return "int64", int64(x)
	case int16:
		return "int32", int32(x)
	case uint:
		return "uint64", uint64(x)
	case int8:
		return "int8", x
	case int32:
		return "int32", x
	case int64:
		return "int64", x
	case uint8:
		return "uint8", x
	case uint16:
		return "uint16", x
	case uint32:
		return "uint32", x
	case uint64:
		return "uint64", x
	case float32:
		return "float", x
	case float64:
		return "float64", x
	case string:
		return "string", x
	case bool:
		return "bool", x
	case []string:
		return "[]string", x
	case []byte:
		return "[]byte", x
	case trace.Pointer:
		return "trace.Pointer", x
	case map[string]string:
		return "map[string]string", x
	case nil:
		return "unknown", nil
	}
	// Named numeric types (time.Duration, enums) are written as their underlying number.
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int64", rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "uint64", rv.Uint()
	case reflect.Float32, reflect.Float64:
		return "float64", rv.Float()
	}
	return fmt.Sprintf("%T", v), v
}

// IsSignatureEvent reports whether ev was produced by a signature.
func IsSignatureEvent(ev *trace.Event) bool {
	return ev.Metadata != nil && ev.Metadata.Properties["signatureID"] != nil
}

func sortedKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// insertion sort: finding data has a handful of keys
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
