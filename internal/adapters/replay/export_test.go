package replay

import (
	"slices"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DecodeTracee is the decoder the fast one must equal: encoding/json and Tracee's UnmarshalJSON.
func (d *Decoder) DecodeTracee(raw []byte, ev *trace.Event) error { return d.decodeTracee(raw, ev) }

// DecodeFast runs the fast decoder alone and says whether it took the line.
func (d *Decoder) DecodeFast(raw []byte, ev *trace.Event) bool {
	*ev = trace.Event{}
	if ok, _ := d.decodeFast(raw, ev, nil); !ok {
		return false
	}
	ev.Args = slices.Clone(ev.Args)
	d.finish(ev)
	return true
}

// DecodeUnwanted decodes raw as the source does for an event the selection does not want: it
// must fail exactly when Decode fails.
func (d *Decoder) DecodeUnwanted(raw []byte) (name string, wanted bool, err error) {
	var ev trace.Event
	wanted, err = d.decodeWanted(raw, &ev, func(string) bool { return false })
	return ev.EventName, wanted, err
}
