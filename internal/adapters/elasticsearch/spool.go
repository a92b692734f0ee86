package elasticsearch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// spoolItem is one alert on its way to Elasticsearch: where it goes and its JSON document.
type spoolItem struct {
	Index string          `json:"i"`
	ID    string          `json:"d"`
	Fixes int             `json:"f,omitempty"` // how often a mapping rejection was repaired
	Body  json.RawMessage `json:"b"`

	seg *spoolSegment // the segment this item was replayed from, nil for fresh items
}

// spool is an append-only on-disk queue of alerts in segment files (one JSON item per line),
// replayed oldest first. A segment is deleted only once each of its items was indexed or
// appended again, so a crash at any point loses nothing (a replay may resend: IDs dedupe).
// Past the disk budget the oldest closed segments are deleted and their alerts counted.
type spool struct {
	dir      string
	maxBytes int64
	segBytes int64

	mu        sync.Mutex
	segments  []*spoolSegment // oldest first; the last one may be the open one
	open      *spoolSegment
	w         *bufio.Writer
	f         *os.File
	nextSeq   uint64
	total     int64 // bytes on disk in all segments
	evicted   uint64
	onEvicted func(segItems int, total uint64)
	lock      *os.File // flock'ed while the spool is open
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
	s := &spool{dir: dir, maxBytes: maxBytes, segBytes: seg, lock: lock}
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
		s.segments = append(s.segments, &spoolSegment{seq: seq, path: filepath.Join(dir, name), size: info.Size()})
		s.total += info.Size()
		if seq >= s.nextSeq {
			s.nextSeq = seq + 1
		}
	}
	sort.Slice(s.segments, func(i, j int) bool { return s.segments[i].seq < s.segments[j].seq })
	return s, nil
}

// Append writes items durably (a write(2) per call; fsync on rotation and close).
func (s *spool) Append(items ...*spoolItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("spool: encode: %w", err)
		}
		b = append(b, '\n')
		if s.open == nil || s.open.size+int64(len(b)) > s.segBytes && s.open.size > 0 {
			if err := s.rotateLocked(); err != nil {
				return err
			}
		}
		if _, err := s.w.Write(b); err != nil {
			return fmt.Errorf("spool: write: %w", err)
		}
		s.open.size += int64(len(b))
		s.open.items++
		s.total += int64(len(b))
	}
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("spool: write: %w", err)
		}
	}
	s.evictLocked()
	return nil
}

func (s *spool) rotateLocked() error {
	if err := s.closeOpenLocked(); err != nil {
		return err
	}
	seg := &spoolSegment{seq: s.nextSeq, counted: true}
	s.nextSeq++
	seg.path = filepath.Join(s.dir, fmt.Sprintf("%020d%s", seg.seq, spoolExt))
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.f, s.w, s.open = f, bufio.NewWriterSize(f, 64<<10), seg
	s.segments = append(s.segments, seg)
	return nil
}

func (s *spool) closeOpenLocked() error {
	if s.open == nil {
		return nil
	}
	err := s.w.Flush()
	if err2 := s.f.Sync(); err == nil {
		err = err2
	}
	if err2 := s.f.Close(); err == nil {
		err = err2
	}
	s.open, s.f, s.w = nil, nil, nil
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// evictLocked deletes the oldest segments not being replayed until the spool fits its budget.
func (s *spool) evictLocked() {
	for s.total > s.maxBytes {
		var victim *spoolSegment
		for _, seg := range s.segments {
			if !seg.replaying && seg != s.open {
				victim = seg
				break
			}
		}
		if victim == nil {
			if s.open == nil || len(s.segments) > 1 {
				return
			}
			// only the open segment is left: close it so it can go
			victim = s.open
			_ = s.closeOpenLocked()
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
func (s *spool) Next() ([]*spoolItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var seg *spoolSegment
		for _, x := range s.segments {
			if !x.replaying {
				seg = x
				break
			}
		}
		if seg == nil {
			return nil, nil
		}
		if seg == s.open {
			if err := s.closeOpenLocked(); err != nil {
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
		seg.replaying, seg.pending, seg.items, seg.counted = true, len(items), len(items), true
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
	seg.replaying = false
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
func (s *spool) HasUnread() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.segments {
		if !x.replaying {
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
	err := s.closeOpenLocked()
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
