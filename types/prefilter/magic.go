package prefilter

import "bytes"

// MagicInterest says which magic_write events a signature can match, in terms the kernel can test
// before it looks up the file: the bytes written start with one of Prefixes (the ELF magic
// "\x7fELF" for the built-in users). Every other write is dropped in the kernel on its first
// bytes, and a write shorter than the shortest prefix (dd bs=1) on its length alone. A missing
// prefix loses detections, so a signature that cannot say leaves the interest undeclared and
// gets every magic_write.
type MagicInterest struct {
	Prefixes []string // the written bytes start with one of these
}

// MagicFacts are what the kernel filter knows of a write when it decides.
type MagicFacts struct {
	Bytes []byte // the bytes written (the first iovec's for writev); nil when unreadable
}

// MagicInterested is the optional interface of a signature that selects magic_write and can say
// which writes it may match. declared false (or a signature without the method, such as Tracee's
// own signatures and Rego ones) means every magic_write. The agent applies the union of the
// interests only when every signature it runs that selects the event declares one.
type MagicInterested interface {
	MagicInterest() (interest MagicInterest, declared bool)
}

// MagicPrefixMax is the longest prefix the kernel compares whole (it reads at most this many bytes
// of a write); a longer prefix is compared by its first MagicPrefixMax bytes, which keeps a superset.
const MagicPrefixMax = 8

// Admits reports whether the kernel filter keeps a write. It is the specification of the kernel
// side (bpf/lib/magic_filter.h), tested against it live.
func (m MagicInterest) Admits(f MagicFacts) bool {
	for _, p := range m.Prefixes {
		if bytes.HasPrefix(f.Bytes, []byte(truncPrefix(p))) {
			return true
		}
	}
	return false
}

// Empty reports whether the interest keeps no write at all.
func (m MagicInterest) Empty() bool { return len(m.Prefixes) == 0 }

// Union is what either interest keeps.
func (m MagicInterest) Union(p MagicInterest) MagicInterest {
	return MagicInterest{Prefixes: mergeSorted(m.Prefixes, p.Prefixes)}
}

func truncPrefix(p string) string {
	if len(p) > MagicPrefixMax {
		return p[:MagicPrefixMax]
	}
	return p
}
