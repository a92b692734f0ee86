// Package memtrim unmaps the file pages a long-running process touched only while it started.
//
// A Go binary built to load plugins carries a large dynamic symbol table that only dlopen reads,
// and start-up runs code (flag parsing, BTF and plugin loading, package init) that never runs
// again. Those pages stay mapped, and so counted in the process's RSS, for its whole life. On
// kernels that keep files in large page-cache folios (ext4 on 6.16+), touching one byte maps the
// whole folio, up to 2 MiB, so almost all of a freshly built or copied binary ends up mapped.
//
// Release drops the page-table entries of the clean, read-only, private file mappings
// (madvise MADV_DONTNEED). Nothing is lost: such pages are never written, so a later access
// faults them back in from the page cache. The mappings of the program's own files are also paged
// out (MADV_PAGEOUT) so that their pages come back one at a time; see Release.
package memtrim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Mapping is one entry of /proc/PID/smaps, with the fields Release decides on.
type Mapping struct {
	Start, End uintptr
	Perms      string // e.g. "r-xp"
	Path       string // empty for anonymous memory
	Rss        int64  // bytes mapped
	Anonymous  int64  // bytes of private copies (copy-on-write): these would be lost by a release
	Locked     bool   // VmFlags has "lo" (mlock): madvise refuses those
}

// Releasable reports whether m can be unmapped without losing data: a private, read-only
// mapping of a file with no private copies in it and not locked. A read-only segment that the
// dynamic linker relocated (RELRO) holds private copies and is kept; so are shared mappings
// (the eBPF ring buffer) and the kernel's [vdso] and [vvar].
func (m Mapping) Releasable() bool {
	return len(m.Perms) == 4 && m.Perms[1] == '-' && m.Perms[3] == 'p' &&
		strings.HasPrefix(m.Path, "/") && m.Anonymous == 0 && !m.Locked && m.Rss > 0
}

// ParseSmaps reads the smaps format (proc(5)).
func ParseSmaps(r io.Reader) ([]Mapping, error) {
	var out []Mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m, ok := parseHeader(line); ok {
			out = append(out, m)
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("smaps: field before the first mapping: %q", line)
		}
		cur := &out[len(out)-1]
		key, val, _ := strings.Cut(line, ":")
		switch key {
		case "Rss":
			cur.Rss = kB(val)
		case "Anonymous":
			cur.Anonymous = kB(val)
		case "VmFlags":
			cur.Locked = slices.Contains(strings.Fields(val), "lo")
		}
	}
	return out, sc.Err()
}

// parseHeader reads "START-END PERMS OFFSET DEV INODE [PATH]".
func parseHeader(line string) (Mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return Mapping{}, false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return Mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || len(f[1]) != 4 {
		return Mapping{}, false
	}
	m := Mapping{Start: uintptr(start), End: uintptr(end), Perms: f[1]}
	if len(f) >= 6 {
		// The path is the rest of the line after the inode (it may contain spaces).
		idx := strings.Index(line, f[5])
		m.Path = strings.TrimRight(line[idx:], " ")
	}
	return m, true
}

func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
	return n << 10
}

// Result says what Release did.
type Result struct {
	Mappings int   // mappings released
	Bytes    int64 // their RSS before the release
	Own      int   // of those, mappings of own files, paged out
}

// Release unmaps the releasable file mappings of the calling process (see Mapping.Releasable)
// with MADV_DONTNEED. Call it once start-up is over; pages still in use fault back in on their
// next access.
//
// The mappings of the files own accepts (the program's executable and plugins) are instead
// marked MADV_RANDOM and paged out (MADV_PAGEOUT: unmapped and, where no other process maps them,
// dropped from the page cache, which is safe as they are clean). Without that, a page faulted back
// maps its whole large folio again (up to 2 MiB) and readahead builds new large folios, so the
// RSS would return to nearly the file's size. After it, the pages still used come back one at a
// time, each read once from disk. own may be nil.
func Release(own func(path string) bool) (Result, error) {
	maps, err := readSelf()
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, m := range maps {
		if !m.Releasable() {
			continue
		}
		isOwn := own != nil && own(m.Path)
		if err := release(m, isOwn); err != nil {
			return res, err
		}
		res.Mappings++
		res.Bytes += m.Rss
		if isOwn {
			res.Own++
		}
	}
	return res, nil
}

func release(m Mapping, own bool) error {
	if own {
		if err := madvise(m, unix.MADV_RANDOM); err != nil {
			return err
		}
		err := madvise(m, unix.MADV_PAGEOUT)
		if !errors.Is(err, unix.EINVAL) { // EINVAL: a kernel before 5.4, unmap only
			return err
		}
	}
	return madvise(m, unix.MADV_DONTNEED)
}

func readSelf() ([]Mapping, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, fmt.Errorf("memtrim: %w", err)
	}
	defer f.Close()
	maps, err := ParseSmaps(f)
	if err != nil {
		return nil, fmt.Errorf("memtrim: /proc/self/smaps: %w", err)
	}
	return maps, nil
}

func madvise(m Mapping, advice int) error {
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.Start, m.End-m.Start, uintptr(advice)); errno != 0 {
		return fmt.Errorf("memtrim: madvise(%d) %s %x-%x: %w", advice, m.Path, m.Start, m.End, errno)
	}
	return nil
}
