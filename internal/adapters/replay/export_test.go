package replay

import "github.com/seed-428f5ad7/tracee/types/trace"

// DecodeTracee is the decoder the fast one must equal: encoding/json and Tracee's UnmarshalJSON.
func (d *Decoder) DecodeTracee(raw []byte, ev *trace.Event) error { return d.decodeTracee(raw, ev) }

// DecodeFast runs the fast decoder alone and says whether it took the line.
func (d *Decoder) DecodeFast(raw []byte, ev *trace.Event) bool {
	*ev = trace.Event{}
	if !d.decodeFast(raw, ev) {
		return false
	}
	d.finish(ev)
	return true
}
