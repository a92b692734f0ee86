package ebpf

import "encoding/binary"

// record builds ring-buffer records as bpf/lib/common.h writes them, for decoder tests.
type record struct {
	hdr  [headerSize]byte
	args []byte
	argc int
}

func newRecord(eventID uint32, syscall int32, pid uint32) *record {
	r := &record{}
	le := binary.LittleEndian
	le.PutUint64(r.hdr[0:], 1_000_000_000) // ts: 1s after boot
	le.PutUint64(r.hdr[8:], 500_000_000)   // thread start
	le.PutUint64(r.hdr[16:], 400_000_000)  // leader start
	le.PutUint64(r.hdr[24:], 77)           // cgroup
	le.PutUint32(r.hdr[40:], eventID)      // event
	le.PutUint32(r.hdr[44:], uint32(syscall))
	le.PutUint32(r.hdr[48:], pid) // host pid
	le.PutUint32(r.hdr[52:], pid) // host tid
	le.PutUint32(r.hdr[56:], 1)   // host ppid
	le.PutUint32(r.hdr[60:], pid)
	le.PutUint32(r.hdr[64:], pid)
	le.PutUint32(r.hdr[68:], 1)
	le.PutUint32(r.hdr[72:], 1000)       // uid
	le.PutUint32(r.hdr[76:], 4026531841) // mntns
	le.PutUint32(r.hdr[80:], 4026531836) // pidns
	le.PutUint32(r.hdr[84:], 1)          // cpu
	copy(r.hdr[96:], "bash")
	copy(r.hdr[112:], "host-a")
	le.PutUint64(r.hdr[176:], ^uint64(0)) // matched: no in-kernel scoping
	return r
}

func (r *record) retval(v int64) *record {
	binary.LittleEndian.PutUint64(r.hdr[32:], uint64(v))
	return r
}

func (r *record) cgroup(id uint64) *record {
	binary.LittleEndian.PutUint64(r.hdr[24:], id)
	return r
}

func (r *record) u64(v uint64) *record {
	r.args = append(r.args, tagU64)
	r.args = binary.LittleEndian.AppendUint64(r.args, v)
	r.argc++
	return r
}

func (r *record) blob(tag byte, b []byte) *record {
	r.args = append(r.args, tag)
	r.args = binary.LittleEndian.AppendUint16(r.args, uint16(len(b)))
	r.args = append(r.args, b...)
	r.argc++
	return r
}

func (r *record) str(s string) *record { return r.blob(tagStr, append([]byte(s), 0)) }

// path writes components leaf first, as the kernel walk does.
func (r *record) path(flags byte, leafFirst ...string) *record {
	var b []byte
	for _, c := range leafFirst {
		b = append(append(b, c...), 0)
	}
	r.args = append(r.args, tagPath, flags)
	r.args = binary.LittleEndian.AppendUint16(r.args, uint16(len(b)))
	r.args = append(r.args, b...)
	r.argc++
	return r
}

func (r *record) bytes() []byte {
	h := r.hdr
	binary.LittleEndian.PutUint32(h[88:], uint32(len(r.args)))
	h[92] = byte(r.argc)
	return append(h[:], r.args...)
}

func (r *record) comm(s string) *record {
	clear(r.hdr[96:112])
	copy(r.hdr[96:112], s)
	return r
}

func (r *record) tid(tid uint32) *record {
	binary.LittleEndian.PutUint32(r.hdr[52:], tid)
	binary.LittleEndian.PutUint32(r.hdr[64:], tid)
	return r
}

func (r *record) ppid(ppid uint32) *record {
	binary.LittleEndian.PutUint32(r.hdr[56:], ppid)
	binary.LittleEndian.PutUint32(r.hdr[68:], ppid)
	return r
}
