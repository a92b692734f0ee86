package prefilter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/types/prefilter"
)

func TestOpenInterest_Admits(t *testing.T) {
	const (
		rdonly = 0o0
		wronly = 0o1
		rdwr   = 0o2
		creat  = 0o100
		trunc  = 0o1000
	)
	read := func(path string) prefilter.OpenFacts {
		return prefilter.OpenFacts{Path: path, Raw: path, Flags: rdonly}
	}
	long := "application_default_credentials.json" // 36 bytes, declared by a built-in signature
	tests := []struct {
		name     string
		interest prefilter.OpenInterest
		facts    prefilter.OpenFacts
		want     bool
	}{
		{"a name", prefilter.OpenInterest{Names: []string{"shadow"}}, read("/etc/shadow"), true},
		{"another name", prefilter.OpenInterest{Names: []string{"shadow"}}, read("/etc/passwd"), false},
		{"a name prefix", prefilter.OpenInterest{NamePrefixes: []string{"id_"}}, read("/root/.ssh/id_rsa"), true},
		{"a directory", prefilter.OpenInterest{Dirs: []string{".ssh"}}, read("/root/.ssh/known_hosts"), true},
		{"a directory further up does not count", prefilter.OpenInterest{Dirs: []string{".ssh"}}, read("/root/.ssh/x/y"), false},
		{"a name is compared by its first 31 bytes", prefilter.OpenInterest{Names: []string{long}}, read("/x/" + long[:31] + "zzz"), true},
		{"a directory is compared by its first 31 bytes", prefilter.OpenInterest{Dirs: []string{long}}, read("/" + long + "/x"), true},
		{"a prefix is compared by its first 31 bytes", prefilter.OpenInterest{NamePrefixes: []string{long}}, read("/x/" + long[:31]), true},
		{"a long name whose first 31 bytes differ", prefilter.OpenInterest{Names: []string{long}}, read("/x/" + long[:30]), false},
		{"writes: write-only", prefilter.OpenInterest{Writes: true}, prefilter.OpenFacts{Path: "/tmp/x", Flags: wronly}, true},
		{"writes: read-only with O_TRUNC", prefilter.OpenInterest{Writes: true}, prefilter.OpenFacts{Path: "/tmp/x", Flags: rdonly | trunc}, true},
		{"writes: O_CREAT", prefilter.OpenInterest{Writes: true}, prefilter.OpenFacts{Path: "/tmp/x", Flags: rdonly | creat}, true},
		{"writes: a plain read is not one", prefilter.OpenInterest{Writes: true}, read("/tmp/x"), false},
		{"a write-only open never matches a read rule", prefilter.OpenInterest{Names: []string{"shadow"}}, prefilter.OpenFacts{Path: "/etc/shadow", Flags: wronly}, false},
		{"read-write matches a read rule", prefilter.OpenInterest{Names: []string{"shadow"}}, prefilter.OpenFacts{Path: "/etc/shadow", Flags: rdwr}, true},
		{"traversal in the path as passed", prefilter.OpenInterest{Traversal: true}, prefilter.OpenFacts{Path: "/etc/hosts", Raw: "../../etc/hosts"}, true},
		{"traversal: none", prefilter.OpenInterest{Traversal: true}, read("/etc/hosts"), false},
		{"a namespace file", prefilter.OpenInterest{Namespaces: true}, prefilter.OpenFacts{Path: "/proc/1/ns/mnt", Namespace: true}, true},
		{"a file with several links always", prefilter.OpenInterest{Names: []string{"shadow"}}, prefilter.OpenFacts{Path: "/tmp/s", Linked: true}, true},
		{"the empty interest keeps no read", prefilter.OpenInterest{}, read("/etc/shadow"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.interest.Admits(tt.facts))
		})
	}
}

func TestOpenInterest_Union_merges_and_dedupes(t *testing.T) {
	a := prefilter.OpenInterest{Names: []string{"shadow"}, Dirs: []string{".ssh"}}
	b := prefilter.OpenInterest{Writes: true, Names: []string{"kcore", "shadow"}}
	u := a.Union(b)
	assert.Equal(t, prefilter.OpenInterest{Writes: true, Names: []string{"kcore", "shadow"}, Dirs: []string{".ssh"}}, u)
	assert.True(t, prefilter.OpenInterest{}.Empty())
	assert.False(t, u.Empty())
}
