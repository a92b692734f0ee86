package ebpf

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
)

// TestEntityID_is_FNV1a_of_id_and_start: the entity ID is FNV-1a over the id's 4 bytes and the
// start time's 8, little end first, as Tracee hashes them.
func TestEntityID_is_FNV1a_of_id_and_start(t *testing.T) {
	for _, c := range []struct {
		id    uint32
		start uint64
	}{{0, 0}, {1, 2}, {4242, 1_700_000_000_123_456_789}, {0xffffffff, ^uint64(0)}, {77, 1 << 40}} {
		var b [12]byte
		binary.LittleEndian.PutUint32(b[:4], c.id)
		binary.LittleEndian.PutUint64(b[4:], c.start)
		h := fnv.New32a()
		h.Write(b[:])
		if got, want := entityID(c.id, c.start), h.Sum32(); got != want {
			t.Errorf("entityID(%d, %d) = %d, FNV-1a %d", c.id, c.start, got, want)
		}
	}
}
