package elasticsearch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// spoolItem is one alert on its way to Elasticsearch: where it goes and its JSON document.
type spoolItem struct {
	Index string          `json:"i"`
	ID    string          `json:"d"`
	Fixes int             `json:"f,omitempty"` // how often a mapping rejection was repaired
	Body  json.RawMessage `json:"b"`

	seg    *spoolSegment // the segment holding this item, nil when it is in none
	gen    uint64        // seg.gen when the item was read or written: a Done from an older gen is stale
	pooled *[]byte       // Body's buffer when it comes from bodyPool (see releaseBody)
}

// spool is an append-only on-disk queue of alerts in segment files (one JSON item per line),
// replayed oldest first. It is also the sink's write-ahead log: every alert is written to it
// (AppendLive) before Write returns, and shipped from memory while its line stays on disk. A
// segment is deleted only once each of its items was indexed or appended again, so a crash or a
// kill -9 at any point loses nothing (a replay may resend: IDs dedupe). Appends are written at once
// (write(2)) and fsynced as a group at most every syncEvery items or syncInterval (Sync).
// Past the disk budget the oldest closed segments are deleted and their alerts counted.
type spool struct {
	dir      string
	maxBytes int64
	segBytes int64

	mu        sync.Mutex
	segments  []*spoolSegment // oldest first; the last ones may be open
	live      segWriter       // items also in flight from memory (AppendLive)
	kept      segWriter       // items only on disk (Append): their segments are replayed
	nextSeq   uint64
	total     int64 // bytes on disk in all segments
	evicted   uint64
	onEvicted func(segItems int, total uint64)
	lock      *os.File // flock'ed while the spool is open
	unsynced  int      // items written since the last fsync
	line      []byte   // the line being written, reused
	// noSync turns fsync off (spool-sync=none): appends still reach the kernel before Write
	// returns, so a killed agent loses nothing, but a power loss or kernel crash can.
	noSync  bool
	syncReq chan struct{} // asks the sink's sync loop for an fsync once syncEvery items wait
}

// Group fsync bounds: at most this many items, or this long (the sink's ticker), between fsyncs.
const (
	syncEvery    = 1000
	syncInterval = 100 * time.Millisecond
)

// segWriter is one open segment being appended to.
type segWriter struct {
	open *spoolSegment
	f    *os.File
}

type spoolSegment struct {
	seq     uint64
	path    string
	size    int64
	items   int // known for segments written in this run; counted when needed otherwise
	counted bool
	// replaying: the sender holds its items; pending counts those not yet indexed or re-spooled.
	replaying bool
	pending   int
	// live counts items written this run and in flight from memory (AppendLive); needsReplay is
	// set when one of its items is not in flight (the memory queue was full, an outage, a retry) or
	// the segment comes from an earlier run: only such segments are replayed.
	live        int
	needsReplay bool
	gen         uint64 // bumped when a replay starts: Done calls for earlier in-flight items are stale
	removed     bool
	earlier     bool // left by an earlier run
}

const spoolExt = ".spool"

// openSpool opens (creating) dir and finds the segments a previous run left.
func openSpool(dir string, maxBytes int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	seg := maxBytes / 8
	if seg > 16<<20 {
		seg = 16 << 20
	}
	if seg < 4096 {
		seg = 4096
	}
	// one sink per directory: two would replay and delete each other's segments
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("spool %s is in use by another Elasticsearch output (this or another tracee); give each output its own spool-dir=", dir)
	}
	s := &spool{dir: dir, maxBytes: maxBytes, segBytes: seg, lock: lock, syncReq: make(chan struct{}, 1)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, spoolExt) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, spoolExt), 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		s.segments = append(s.segments, &spoolSegment{seq: seq, path: filepath.Join(dir, name), size: info.Size(), needsReplay: true, earlier: true})
		s.total += info.Size()
		if seq >= s.nextSeq {
			s.nextSeq = seq + 1
		}
	}
	sort.Slice(s.segments, func(i, j int) bool { return s.segments[i].seq < s.segments[j].seq })
	return s, nil
}

// Append writes items that are in no flight (a write(2) per call; fsync by group, on rotation
// and on close): their segment will be replayed.
func (s *spool) Append(items ...*spoolItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appendLocked(&s.kept, items)
}

// AppendLive writes one item that the sender also ships from memory: its segment is kept until
// Done or Orphan is called for it, and is not replayed for it.
func (s *spool) AppendLive(it *spoolItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.appendLocked(&s.live, []*spoolItem{it}); err != nil {
		return err
	}
	if s.live.open == nil { // evicted at once: the budget is smaller than one item
		return nil
	}
	it.seg, it.gen = s.live.open, s.live.open.gen
	s.live.open.live++
	return nil
}

// Orphan takes an item out of flight (it will not be shipped from memory): its segment is replayed.
func (s *spool) Orphan(it *spoolItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := it.seg
	if seg == nil || seg.removed || it.gen != seg.gen {
		it.seg = nil
		return
	}
	it.seg = nil
	seg.live--
	seg.needsReplay = true
}

// Sync fsyncs what was written since the last fsync. The fsync runs outside the lock, so that
// appends (Write) never wait for the disk; a segment closed meanwhile was fsynced by its close.
func (s *spool) Sync() error {
	s.mu.Lock()
	if s.unsynced == 0 || s.noSync {
		s.unsynced = 0
		s.mu.Unlock()
		return nil
	}
	s.unsynced = 0
	files := [2]*os.File{s.live.f, s.kept.f}
	s.mu.Unlock()
	for _, f := range files {
		if f == nil {
			continue
		}
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("spool: fsync: %w", err)
		}
	}
	return nil
}

// appendLine appends the spool line of it: {"i":INDEX,"d":ID,"f":FIXES,"b":DOCUMENT} and a newline.
func appendLine(dst []byte, it *spoolItem) ([]byte, error) {
	dst = appendJSONString(append(dst, `{"i":`...), it.Index)
	dst = appendJSONString(append(dst, `,"d":`...), it.ID)
	if it.Fixes != 0 {
		dst = strconv.AppendInt(append(dst, `,"f":`...), int64(it.Fixes), 10)
	}
	dst = append(dst, `,"b":`...)
	body := it.Body
	if len(body) == 0 {
		body = []byte("null")
	}
	if bytes.IndexByte(body, '\n') >= 0 { // not compact (never from the encoder): one line it must be
		var c bytes.Buffer
		if err := json.Compact(&c, body); err != nil {
			return dst, fmt.Errorf("spool: encode: %w", err)
		}
		body = c.Bytes()
	}
	dst = append(dst, body...)
	return append(dst, '}', '\n'), nil
}

func (s *spool) appendLocked(sw *segWriter, items []*spoolItem) error {
	for _, it := range items {
		b, err := appendLine(s.line[:0], it)
		if err != nil {
			return err
		}
		s.line = b
		if sw.open == nil || sw.open.size+int64(len(b)) > s.segBytes && sw.open.size > 0 {
			if err := s.rotateLocked(sw); err != nil {
				return err
			}
		}
		if _, err := sw.f.Write(b); err != nil { // one write(2) per line: in the kernel before Write returns
			return fmt.Errorf("spool: write: %w", err)
		}
		sw.open.size += int64(len(b))
		sw.open.items++
		s.total += int64(len(b))
		s.unsynced++
	}
	if s.unsynced >= syncEvery && !s.noSync {
		select {
		case s.syncReq <- struct{}{}:
		default: // one is pending
		}
	}
	s.evictLocked()
	return nil
}

func (s *spool) rotateLocked(sw *segWriter) error {
	prev := sw.open
	if err := s.closeOpenLocked(sw); err != nil {
		return err
	}
	s.dropIfDoneLocked(prev)
	seg := &spoolSegment{seq: s.nextSeq, counted: true, needsReplay: sw == &s.kept}
	s.nextSeq++
	seg.path = filepath.Join(s.dir, fmt.Sprintf("%020d%s", seg.seq, spoolExt))
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	sw.f, sw.open = f, seg
	s.segments = append(s.segments, seg)
	return nil
}

func (s *spool) closeOpenLocked(sw *segWriter) error {
	if sw.open == nil {
		return nil
	}
	var err error
	if !s.noSync {
		err = sw.f.Sync()
	}
	if err2 := sw.f.Close(); err == nil {
		err = err2
	}
	sw.open, sw.f = nil, nil
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func (s *spool) isOpen(seg *spoolSegment) bool { return seg == s.live.open || seg == s.kept.open }

// writerOf is the writer appending to seg, nil if it is closed.
func (s *spool) writerOf(seg *spoolSegment) *segWriter {
	switch seg {
	case s.live.open:
		return &s.live
	case s.kept.open:
		return &s.kept
	}
	return nil
}

// dropIfDoneLocked deletes a closed segment none of whose items still needs it.
func (s *spool) dropIfDoneLocked(seg *spoolSegment) {
	if seg == nil || seg.removed || s.isOpen(seg) || seg.replaying || seg.needsReplay || seg.live > 0 {
		return
	}
	_ = os.Remove(seg.path)
	s.removeLocked(seg)
}

// evictLocked deletes the oldest segments not being replayed until the spool fits its budget.
func (s *spool) evictLocked() {
	for s.total > s.maxBytes {
		var victim *spoolSegment
		for _, seg := range s.segments {
			if !seg.replaying && !s.isOpen(seg) {
				victim = seg
				break
			}
		}
		if victim == nil {
			// only open segments are left: close the oldest so it can go
			for _, seg := range s.segments {
				if sw := s.writerOf(seg); sw != nil {
					victim = seg
					_ = s.closeOpenLocked(sw)
					break
				}
			}
			if victim == nil {
				return
			}
		}
		n := victim.items
		if !victim.counted {
			n = countLines(victim.path)
		}
		_ = os.Remove(victim.path)
		s.removeLocked(victim)
		s.evicted += uint64(n)
		if s.onEvicted != nil {
			s.onEvicted(n, s.evicted)
		}
	}
}

func (s *spool) removeLocked(seg *spoolSegment) {
	seg.removed = true
	for i, x := range s.segments {
		if x == seg {
			s.segments = append(s.segments[:i], s.segments[i+1:]...)
			s.total -= seg.size
			return
		}
	}
}

// Next loads the oldest segment not yet being replayed, closing the open one if it is the only
// one left. It returns no items when the spool is empty. A torn last line (a crash during a
// write) is skipped.
func (s *spool) Next() ([]*spoolItem, error) { return s.next(false) }

// NextOfThisRun is Next over the segments written since the spool was opened.
func (s *spool) NextOfThisRun() ([]*spoolItem, error) { return s.next(true) }

func (s *spool) next(thisRun bool) ([]*spoolItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var seg *spoolSegment
		for _, x := range s.segments {
			if !x.replaying && x.needsReplay && !(thisRun && x.earlier) {
				seg = x
				break
			}
		}
		if seg == nil {
			return nil, nil
		}
		if sw := s.writerOf(seg); sw != nil {
			if err := s.closeOpenLocked(sw); err != nil {
				return nil, err
			}
		}
		data, err := os.ReadFile(seg.path)
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		var items []*spoolItem
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			it := &spoolItem{}
			if err := json.Unmarshal(line, it); err != nil || it.ID == "" || it.Index == "" {
				continue // torn or foreign line
			}
			it.seg = seg
			items = append(items, it)
		}
		if len(items) == 0 {
			_ = os.Remove(seg.path)
			s.removeLocked(seg)
			continue
		}
		// items still in flight from memory are shipped twice (the IDs dedupe); their Done is stale
		seg.gen++
		for _, it := range items {
			it.gen = seg.gen
		}
		seg.replaying, seg.pending, seg.items, seg.counted = true, len(items), len(items), true
		seg.live, seg.needsReplay = 0, false
		return items, nil
	}
}

// Done marks a replayed item as handled (indexed, or appended again); the segment goes when
// all of its items are done.
func (s *spool) Done(it *spoolItem) {
	if it.seg == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := it.seg
	it.seg = nil
	if seg.removed || it.gen != seg.gen {
		return // evicted, or replayed since: the replay's own items count
	}
	if !seg.replaying {
		seg.live--
		s.dropIfDoneLocked(seg)
		return
	}
	seg.pending--
	if seg.pending <= 0 {
		_ = os.Remove(seg.path)
		s.removeLocked(seg)
	}
}

// Release hands a replaying segment back (its items were not all handled, e.g. at shutdown):
// the file stays and is replayed by the next run.
func (s *spool) Release(seg *spoolSegment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg.replaying, seg.needsReplay = false, true
}

// Bytes is the spool's size on disk.
func (s *spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Empty reports whether nothing waits in the spool (segments being replayed count as waiting).
func (s *spool) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.segments) == 0
}

// HasUnread reports whether a segment waits that is not yet being replayed.
func (s *spool) HasUnread() bool { return s.hasUnread(false) }

// HasUnreadOfThisRun is HasUnread over the segments written since the spool was opened.
func (s *spool) HasUnreadOfThisRun() bool { return s.hasUnread(true) }

func (s *spool) hasUnread(thisRun bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.segments {
		if !x.replaying && x.needsReplay && !(thisRun && x.earlier) {
			return true
		}
	}
	return false
}

// Evicted is the number of alerts dropped for the disk budget since the spool was opened.
func (s *spool) Evicted() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evicted
}

// Close syncs and closes the open segment and releases the directory.
func (s *spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	lastLive, lastKept := s.live.open, s.kept.open
	err := errors.Join(s.closeOpenLocked(&s.live), s.closeOpenLocked(&s.kept))
	s.dropIfDoneLocked(lastLive)
	s.dropIfDoneLocked(lastKept)
	if s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
	return err
}

func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte{'\n'})
}
