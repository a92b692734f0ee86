package ebpf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestSource_open_filter_matches_its_specification: with an OpenInterest the kernel sends exactly
// the opens domain.OpenInterest.Admits keeps (the specification of bpf/lib/open_filter.h), for
// each rule: names, name prefixes, directory names, "../" in the passed path, namespace files,
// hard links, read/write access and O_CREAT, names and prefixes longer than the kernel compares.
func TestSource_open_filter_matches_its_specification(t *testing.T) {
	requireLive(t)
	dir := t.TempDir()
	for _, d := range []string{"keys", "kex", "sub", "dot.d"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o700))
	}
	// long and longAlike share their first 31 bytes (domain.OpenNameMax); longShort is 30 of them.
	const long, longAlike, longShort = "application_default_credentials.json", "application_default_credentials.yaml", "application_default_credential"
	for _, f := range []string{"watched", "wat", "other", "id_rsa", "idx", "keys/x", "kex/y", "linked", long, longAlike, longShort, "dot.d/..x"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600))
	}
	require.NoError(t, os.Link(filepath.Join(dir, "linked"), filepath.Join(dir, "sub", "alias")))
	p := func(rel string) string { return dir + "/" + rel } // not filepath.Join: "./" and "../" stay
	type open struct {
		raw   string
		flags int
		facts domain.OpenFacts
	}
	read := func(raw, resolved string) open {
		return open{raw, unix.O_RDONLY, domain.OpenFacts{Path: resolved, Raw: raw, Flags: unix.O_RDONLY}}
	}
	with := func(o open, flags int, linked, ns bool) open {
		o.flags, o.facts.Flags, o.facts.Linked, o.facts.Namespace = flags, flags, linked, ns
		return o
	}
	opens := []open{
		read(p("watched"), p("watched")),
		read(p("other"), p("other")),
		read(p("id_rsa"), p("id_rsa")),
		read(p("keys/x"), p("keys/x")),
		read(p("sub/../other"), p("other")),
		read(p("dot.d/../other"), p("other")), // a '.' in a word before the "../"
		read(p("dot.d/..x"), p("dot.d/..x")),  // dots, no "../"
		read(p("./idx"), p("idx")),
		read(p("idx"), p("idx")),     // first byte of a prefix, not the prefix
		read(p("wat"), p("wat")),     // first byte of a name, not the name
		read(p("kex/y"), p("kex/y")), // first byte of a directory name, not the directory
		with(read(p("linked"), p("linked")), unix.O_RDONLY, true, false),
		with(read(p("sub/alias"), p("sub/alias")), unix.O_RDONLY, true, false),
		with(read(p("./watched"), p("watched")), unix.O_RDWR, false, false),
		with(read(p("./other"), p("other")), unix.O_WRONLY, false, false),
		with(read(p("sub/../watched"), p("watched")), unix.O_WRONLY, false, false), // "../" is a read rule
		with(read(p("new"), p("new")), unix.O_WRONLY|unix.O_CREAT, false, false),
		with(read(p("./keys/x"), p("keys/x")), unix.O_WRONLY|unix.O_TRUNC, false, false),
		with(read("/proc/self/ns/mnt", "mnt"), unix.O_RDONLY, false, true),
		read(p(long), p(long)),
		read(p(longAlike), p(longAlike)), // kept for long: names are compared by their first 31 bytes
		read(p(longShort), p(longShort)),
	}
	for slashes := 1; slashes <= 8; slashes++ { // "../" at every offset from a word boundary
		raw := p("sub" + strings.Repeat("/", slashes) + "../other")
		opens = append(opens, read(raw, p("other")))
	}
	var list strings.Builder
	for _, o := range opens {
		fmt.Fprintf(&list, "%d\t%s\n", o.flags, o.raw)
	}
	listFile := filepath.Join(t.TempDir(), "opens")
	require.NoError(t, os.WriteFile(listFile, []byte(list.String()), 0o600))

	for _, interest := range []domain.OpenInterest{
		{Names: []string{"watched"}, NamePrefixes: []string{"id_"}, Dirs: []string{"keys"}, Traversal: true, Namespaces: true},
		{Writes: true},
		{Names: []string{"other"}},
		{Names: []string{long}},
		{NamePrefixes: []string{long}},
	} {
		t.Run(fmt.Sprintf("%+v", interest), func(t *testing.T) {
			os.Remove(p("new"))
			var want []string
			for _, o := range opens {
				if interest.Admits(o.facts) {
					want = append(want, o.raw)
				}
			}
			seen := keptByKernel(t, Config{OpenInterest: &interest}, "security_file_open", "open-list", listFile,
				func(ev *trace.Event) string { raw, _ := ev.GetStringArgumentByName("syscall_pathname"); return raw }, want)
			for _, o := range opens {
				assert.Equal(t, interest.Admits(o.facts), seen[o.raw] > 0, "open %q flags %#o: kept by the kernel = admitted by the specification", o.raw, o.flags)
			}
		})
	}
}
