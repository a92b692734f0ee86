package ebpf

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRing is a ring consumer over memory laid out as the kernel maps a ring buffer (the data
// twice in a row), with a producer that writes records as bpf_ringbuf_reserve/submit do.
type fakeRing struct {
	r    *ringConsumer
	size uint64
	prod uint64
}

func newFakeRing(size int) *fakeRing {
	cons := make([]uint64, 1)
	prodData := make([]uint64, 1+2*size/8) // the producer position, then the data twice
	data := unsafe.Slice((*byte)(unsafe.Pointer(&prodData[1])), 2*size)
	r := &ringConsumer{consPos: &cons[0], prodPos: &prodData[0], data: data, mask: uint64(size - 1), epfd: -1}
	return &fakeRing{r: r, size: uint64(size)}
}

// reserve writes a record's header with the busy bit and its data, and moves the producer
// position; commit clears the busy bit (and sets the discard bit when asked).
func (f *fakeRing) reserve(data []byte) (commit func(discard bool)) {
	start := f.prod
	rec := make([]byte, ringHeaderSize+(len(data)+7)&^7)
	binary.LittleEndian.PutUint32(rec, uint32(len(data))|ringBusyBit)
	copy(rec[ringHeaderSize:], data)
	for i, b := range rec { // both mappings of each byte
		off := (start + uint64(i)) & (f.size - 1)
		f.r.data[off], f.r.data[off+f.size] = b, b
	}
	f.prod += uint64(len(rec))
	atomic.StoreUint64(f.r.prodPos, f.prod)
	return func(discard bool) {
		hdr := uint32(len(data))
		if discard {
			hdr |= ringDiscardBit
		}
		off := start & (f.size - 1)
		binary.LittleEndian.PutUint32(f.r.data[off:], hdr)
		binary.LittleEndian.PutUint32(f.r.data[off+f.size:], hdr)
	}
}

func (f *fakeRing) write(data string) { f.reserve([]byte(data))(false) }

func (f *fakeRing) consumerPos() uint64 { return atomic.LoadUint64(f.r.consPos) }

func TestRingConsumer_reads_records_in_place_in_order(t *testing.T) {
	f := newFakeRing(64)
	f.write("first")
	f.reserve([]byte("dropped"))(true)
	f.write("second record")
	var got []string
	for {
		rec, ok, err := f.r.next()
		require.NoError(t, err)
		if !ok {
			break
		}
		got = append(got, string(rec))
		assert.Equal(t, len(rec), cap(rec), "a record's slice ends at its data")
	}
	assert.Equal(t, []string{"first", "second record"}, got, "the discarded record is skipped")
	assert.False(t, f.r.pending())
	assert.Zero(t, f.consumerPos(), "nothing is given back before release")
	f.r.release()
	assert.Equal(t, f.prod, f.consumerPos(), "release gives back every record handed out")
}

func TestRingConsumer_stops_at_a_record_being_written(t *testing.T) {
	f := newFakeRing(64)
	f.write("a")
	commit := f.reserve([]byte("b"))
	f.write("c") // reserved after b: committed, but behind it
	rec, ok, err := f.r.next()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "a", string(rec))
	_, ok, err = f.r.next()
	require.NoError(t, err)
	assert.False(t, ok, "b is still being written")
	assert.True(t, f.r.pending(), "and will be committed")
	f.r.release()
	assert.Equal(t, uint64(16), f.consumerPos(), "only a is given back")
	commit(false)
	for _, want := range []string{"b", "c"} {
		rec, ok, err = f.r.next()
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, string(rec))
	}
}

func TestRingConsumer_record_across_the_end_is_contiguous(t *testing.T) {
	f := newFakeRing(64)
	for i := 0; i < 3; i++ { // 3 x 16 bytes, read and given back
		f.write("filler")
		_, ok, err := f.r.next()
		require.True(t, ok)
		require.NoError(t, err)
	}
	f.r.release()
	f.write("wraps around the end") // 8 + 24 bytes from offset 48
	rec, ok, err := f.r.next()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "wraps around the end", string(rec))
}

func TestRingConsumer_rejects_a_length_past_the_producer(t *testing.T) {
	f := newFakeRing(64)
	f.write("ok")
	binary.LittleEndian.PutUint32(f.r.data[0:], 40) // claims more than was reserved
	_, _, err := f.r.next()
	assert.ErrorIs(t, err, errRingCorrupt)
}
