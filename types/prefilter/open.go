package prefilter

import (
	"slices"
	"strings"
)

// OpenInterest says which security_file_open events a signature can match, in terms the kernel
// can test before it builds the event (the file's own name, its directory's name, the open's
// access mode): every other open is dropped in the kernel, before its path is walked. A superset
// is always safe; a missing case loses detections, so a signature that cannot say leaves it out
// and gets every open.
//
// An open "writes" when its access mode is not read-only or it asks for O_CREAT or O_TRUNC; it
// "reads" when its access mode is read-only or read-write. An open that writes is kept when Writes
// is set; one that reads when one of the read rules accepts it: the file's base name is in Names
// or starts with one of NamePrefixes, its directory's base name is in Dirs, the path the program
// passed climbs with "../" (Traversal), it is a namespace file (Namespaces), or the file has more
// than one hard link (so that a link to a watched file under another name still arrives; the
// kernel reports the link count, the signature decides by inode).
type OpenInterest struct {
	Writes       bool     // every open that writes, creates or truncates, whatever its path
	Names        []string // opens that read files with one of these base names
	NamePrefixes []string // opens that read files whose base name starts with one of these
	Dirs         []string // opens that read files directly in a directory with one of these names
	Traversal    bool     // opens that read through a path, as passed, that contains "../"
	Namespaces   bool     // opens that read namespace files (/proc/PID/ns/*, nsfs)
}

// OpenFacts are what the kernel filter knows of an open when it decides.
type OpenFacts struct {
	Path      string // absolute, as resolved
	Raw       string // as the program passed it
	Flags     int    // the syscall's flags: O_CREAT and O_TRUNC kept
	Linked    bool   // a regular file with more than one hard link
	Namespace bool   // a namespace file (nsfs)
}

// OpenInterested is the optional interface of a signature that selects security_file_open and
// can say which opens it may match. declared false (or a signature without the method, such as
// Tracee's own signatures and Rego ones) means every open. The agent applies the union of the
// interests only when every signature it runs that selects the event declares one.
type OpenInterested interface {
	OpenInterest() (interest OpenInterest, declared bool)
}

// Open flags the interest looks at (Linux, all architectures this agent builds for).
const (
	openAccMode = 0o3
	openWrOnly  = 0o1
	openCreat   = 0o100
	openTrunc   = 0o1000
)

// OpenWrites reports whether an open with these flags (the syscall's, O_CREAT and O_TRUNC kept)
// writes, creates or truncates.
func OpenWrites(flags int) bool {
	return flags&openAccMode != 0 || flags&(openCreat|openTrunc) != 0
}

// OpenReads reports whether an open with these flags reads: read-only or read-write.
func OpenReads(flags int) bool {
	return flags&openAccMode != openWrOnly
}

// Admits reports whether the kernel filter keeps an open. It is the specification of the kernel
// side (bpf/lib/open_filter.h), tested against it live.
func (o OpenInterest) Admits(f OpenFacts) bool {
	if o.Writes && OpenWrites(f.Flags) {
		return true
	}
	if !OpenReads(f.Flags) {
		return false
	}
	if f.Linked || (o.Namespaces && f.Namespace) {
		return true
	}
	if o.Traversal && strings.Contains(f.Raw, "../") {
		return true
	}
	dir, name := splitPath(f.Path)
	if hasName(o.Names, name) || hasName(o.Dirs, baseOf(dir)) {
		return true
	}
	for _, p := range o.NamePrefixes {
		if strings.HasPrefix(name, truncName(p)) {
			return true
		}
	}
	return false
}

// Empty reports whether the interest keeps no open at all.
func (o OpenInterest) Empty() bool {
	return !o.Writes && !o.Traversal && !o.Namespaces && len(o.Names) == 0 && len(o.NamePrefixes) == 0 && len(o.Dirs) == 0
}

// Union is what any of the interests keeps.
func (o OpenInterest) Union(p OpenInterest) OpenInterest {
	u := OpenInterest{Writes: o.Writes || p.Writes, Traversal: o.Traversal || p.Traversal, Namespaces: o.Namespaces || p.Namespaces}
	u.Names = mergeSorted(o.Names, p.Names)
	u.NamePrefixes = mergeSorted(o.NamePrefixes, p.NamePrefixes)
	u.Dirs = mergeSorted(o.Dirs, p.Dirs)
	return u
}

// OpenNameMax is the longest name the kernel compares whole; longer names (and prefixes) are
// compared by their first OpenNameMax bytes, which keeps a superset.
const OpenNameMax = 31

func truncName(s string) string {
	if len(s) > OpenNameMax {
		return s[:OpenNameMax]
	}
	return s
}

// hasName reports whether one of names is name, both compared by their first OpenNameMax bytes
// as the kernel does (an empty name is never loaded into it).
func hasName(names []string, name string) bool {
	name = truncName(name)
	for _, n := range names {
		if n != "" && truncName(n) == name {
			return true
		}
	}
	return false
}

func splitPath(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

func baseOf(dir string) string {
	_, name := splitPath(dir)
	return name
}

func mergeSorted(a, b []string) []string {
	out := append(append([]string(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
