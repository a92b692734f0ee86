package ebpf

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// ringConsumer reads the events ring buffer (BPF_MAP_TYPE_RINGBUF) where the kernel wrote it.
// cilium/ebpf's ringbuf.Reader copies each record out under a lock, loads the producer position
// for every record and publishes the consumer position after each; at half a million records a
// second that was a fifth of the agent's CPU. Here a record is decoded in place (the decoder keeps
// nothing of it: every string and byte slice it gives an event is a copy), the producer position
// is loaded when the records known to be there run out, and the consumer position is published by
// release, once per batch. The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page
// (read-write), then the producer page and the data pages mapped twice in a row (read-only), so
// a record that wraps around the end is contiguous; each record is an 8-byte header (length with
// a busy and a discard bit, page offset) and its data padded to 8 bytes.
type ringConsumer struct {
	consPage []byte  // the consumer page
	prodData []byte  // the producer page, then the data twice
	consPos  *uint64 // in consPage: what the kernel may overwrite
	prodPos  *uint64 // in prodData: what the kernel has reserved
	data     []byte  // the data pages, twice
	mask     uint64
	cons     uint64 // records up to here were handed out
	released uint64 // the consumer position last published
	prod     uint64 // the producer position last loaded
	epfd     int
	events   [1]unix.EpollEvent
}

const (
	ringBusyBit    = 1 << 31 // the record is being written
	ringDiscardBit = 1 << 30 // the program discarded the record
	ringHeaderSize = 8
)

var errRingCorrupt = errors.New("ring buffer: record past the producer position")

// openRing maps the ring buffer m and prepares to wait on it.
func openRing(m *ebpf.Map) (*ringConsumer, error) {
	size := int(m.MaxEntries())
	page := os.Getpagesize()
	if size <= 0 || size&(size-1) != 0 || size%page != 0 {
		return nil, fmt.Errorf("ring buffer: size %d is not a power-of-two number of pages", size)
	}
	fd := m.FD()
	cons, err := unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("ring buffer: map the consumer page: %w", err)
	}
	prod, err := unix.Mmap(fd, int64(page), page+2*size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		_ = unix.Munmap(cons)
		return nil, fmt.Errorf("ring buffer: map the data pages: %w", err)
	}
	r := &ringConsumer{consPage: cons, prodData: prod, data: prod[page:], mask: uint64(size - 1), epfd: -1}
	r.consPos = (*uint64)(unsafe.Pointer(&cons[0]))
	r.prodPos = (*uint64)(unsafe.Pointer(&prod[0]))
	r.cons = atomic.LoadUint64(r.consPos)
	r.prod, r.released = r.cons, r.cons
	if r.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		r.close()
		return nil, fmt.Errorf("ring buffer: epoll: %w", err)
	}
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
		r.close()
		return nil, fmt.Errorf("ring buffer: epoll: %w", err)
	}
	return r, nil
}

// next returns the next committed record's data, in the ring: valid until release. ok is false
// when there is none now: the reader caught up with the kernel (pending is false) or the next
// record is still being written (pending is true; it will be committed in a moment).
func (r *ringConsumer) next() (rec []byte, ok bool, err error) {
	for {
		if r.cons == r.prod {
			r.prod = atomic.LoadUint64(r.prodPos)
			if r.cons == r.prod {
				return nil, false, nil
			}
		}
		if r.prod-r.cons < ringHeaderSize {
			return nil, false, errRingCorrupt
		}
		start := r.cons & r.mask
		// The length is read atomically: it is the kernel's commit (an xchg), after which the
		// data is visible.
		hdr := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[start])))
		if hdr&ringBusyBit != 0 {
			return nil, false, nil
		}
		n := uint64(hdr &^ (ringBusyBit | ringDiscardBit))
		total := ringHeaderSize + (n+7)&^7
		if total > r.prod-r.cons || n > r.mask+1 {
			return nil, false, errRingCorrupt
		}
		r.cons += total
		if hdr&ringDiscardBit != 0 {
			continue
		}
		return r.data[start+ringHeaderSize : start+ringHeaderSize+n : start+ringHeaderSize+n], true, nil
	}
}

// pending says whether records the kernel reserved are waiting: after next said none, a record
// still being written.
func (r *ringConsumer) pending() bool { return r.prod != r.cons }

// release gives the kernel back the space of every record handed out so far.
func (r *ringConsumer) release() {
	if r.released != r.cons {
		atomic.StoreUint64(r.consPos, r.cons)
		r.released = r.cons
	}
}

// wait blocks until the kernel signals records or timeout passes.
func (r *ringConsumer) wait(timeout time.Duration) error {
	ms := int(timeout / time.Millisecond)
	if ms <= 0 && timeout > 0 {
		ms = 1
	}
	for {
		_, err := unix.EpollWait(r.epfd, r.events[:], ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("ring buffer: wait: %w", err)
		}
		return nil
	}
}

// close releases the mappings: no record handed out may be used after it.
func (r *ringConsumer) close() {
	if r.epfd >= 0 {
		_ = unix.Close(r.epfd)
		r.epfd = -1
	}
	if r.prodData != nil {
		_ = unix.Munmap(r.prodData)
		r.prodData, r.data = nil, nil
	}
	if r.consPage != nil {
		_ = unix.Munmap(r.consPage)
		r.consPage = nil
	}
}
