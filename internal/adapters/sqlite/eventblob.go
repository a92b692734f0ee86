package sqlite

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
)

// The full events are stored deflated: their JSON repeats the same keys and zero values, and
// compressed they take a fraction of the space, so the size bound holds several times more alerts.
// A deflated blob starts with blobDeflate; anything else is stored as is (JSON starts with '{').
const blobDeflate = 0x00

// encodeEvent deflates an event's JSON for storage.
func encodeEvent(js []byte, w *flate.Writer, buf *bytes.Buffer) ([]byte, error) {
	buf.Reset()
	buf.WriteByte(blobDeflate)
	w.Reset(buf)
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// eventDecoder inflates stored events, reusing one inflater (each new one allocates ~40 KB).
type eventDecoder struct {
	r  io.ReadCloser
	br bytes.Reader
}

// decode returns the event JSON of a stored blob.
func (d *eventDecoder) decode(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != blobDeflate {
		return b, nil
	}
	d.br.Reset(b[1:])
	if d.r == nil {
		d.r = flate.NewReader(&d.br)
	} else if err := d.r.(flate.Resetter).Reset(&d.br, nil); err != nil {
		return nil, fmt.Errorf("stored event: %w", err)
	}
	js, err := io.ReadAll(d.r)
	if err != nil {
		return nil, fmt.Errorf("stored event: %w", err)
	}
	return js, nil
}
