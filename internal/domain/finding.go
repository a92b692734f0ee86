package domain

import (
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
		args = append(args, trace.Argument{ArgMeta: trace.ArgMeta{Name: k, Type: "interface{}"}, Value: data[k]})
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
