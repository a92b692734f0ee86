package ebpf

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestMagicFilterConf(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    traceeMagicFilterConf
		wantErr string
	}{
		{
			name: "ELF magic",
			in:   []string{"\x7fELF"},
			want: traceeMagicFilterConf{On: 1, MinLen: 4, Nprefix: 1, Len: [4]uint32{4},
				Word: [4]uint64{0x464c457f}, Mask: [4]uint64{0xffffffff}},
		},
		{
			name: "the shortest prefix sets the minimum length; a long one is cut to 8 bytes",
			in:   []string{"\x7fELF", "#!", "0123456789"},
			want: traceeMagicFilterConf{On: 1, MinLen: 2, Nprefix: 3, Len: [4]uint32{4, 2, 8},
				Word: [4]uint64{0x464c457f, 0x2123, 0x3736353433323130}, Mask: [4]uint64{0xffffffff, 0xffff, ^uint64(0)}},
		},
		{
			name: "prefixes equal once cut count once",
			in:   []string{"01234567a", "01234567b"},
			want: traceeMagicFilterConf{On: 1, MinLen: 8, Nprefix: 1, Len: [4]uint32{8},
				Word: [4]uint64{0x3736353433323130}, Mask: [4]uint64{^uint64(0)}},
		},
		{
			name: "no prefix: on, keeps nothing",
			want: traceeMagicFilterConf{On: 1, MinLen: 8},
		},
		{
			name:    "more prefixes than the kernel compares",
			in:      []string{"a", "b", "c", "d", "e"},
			wantErr: "5 byte prefixes declared by the signatures, at most 4 fit the kernel filter",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := magicFilterConf(domain.MagicInterest{Prefixes: tt.in})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestSource_magic_filter_matches_its_specification: with a MagicInterest the kernel sends exactly
// the writes at offset 0 that domain.MagicInterest.Admits keeps (the specification of
// bpf/lib/magic_filter.h): writes shorter than, equal to and longer than the prefixes, prefixes of
// 1 to 8 bytes and longer, a zero byte in a prefix, by write, pwrite64 and writev, and a 1-byte
// write followed by the rest (dd bs=1).
func TestSource_magic_filter_matches_its_specification(t *testing.T) {
	requireLive(t)
	dir := t.TempDir()
	type write struct {
		how, bytes string
		facts      domain.MagicFacts
	}
	elf := string(elfHeader)
	writes := []write{
		{how: "write", bytes: elf},
		{how: "write", bytes: "\x7fELF"},
		{how: "write", bytes: "\x7fEL"},
		{how: "write", bytes: "\x7f"},
		{how: "write", bytes: "#"},
		{how: "write", bytes: "#!/bin/sh\n"},
		{how: "write", bytes: "hello, world"},
		{how: "write", bytes: "ab"},
		{how: "write", bytes: "ab\x00cd"},
		{how: "write", bytes: "01234567"},
		{how: "write", bytes: "01234567xyz"},
		{how: "write", bytes: "0123456"},
		{how: "pwrite", bytes: elf},
		{how: "pwrite", bytes: "MZ\x90\x00"},
		{how: "writev", bytes: elf},
		{how: "writev", bytes: "text"},
		{how: "split", bytes: elf},
	}
	var list strings.Builder
	for i := range writes {
		w := &writes[i]
		w.facts.Bytes = []byte(w.bytes)
		if w.how == "split" {
			w.facts.Bytes = w.facts.Bytes[:1] // the second write is not at offset 0
		}
		fmt.Fprintf(&list, "%s\t%s\t%s\n", w.how, hex.EncodeToString([]byte(w.bytes)), filepath.Join(dir, fmt.Sprint(i)))
	}
	listFile := filepath.Join(t.TempDir(), "writes")
	require.NoError(t, os.WriteFile(listFile, []byte(list.String()), 0o600))

	for _, interest := range []domain.MagicInterest{
		{Prefixes: []string{"\x7fELF"}},
		{Prefixes: []string{"\x7fELF", "#!", "ab\x00", "0123456789"}},
		{Prefixes: []string{"M", "01234567"}},
	} {
		t.Run(fmt.Sprintf("%q", interest.Prefixes), func(t *testing.T) {
			var want []string
			for i, w := range writes {
				if interest.Admits(w.facts) {
					want = append(want, fmt.Sprint(i))
				}
			}
			require.NotEmpty(t, want)
			seen := keptByKernel(t, Config{MagicInterest: &interest}, "magic_write", "write-list", listFile,
				func(ev *trace.Event) string { p, _ := ev.GetStringArgumentByName("pathname"); return filepath.Base(p) }, want)
			for i, w := range writes {
				n := 0
				if interest.Admits(w.facts) {
					n = 1
				}
				assert.Equal(t, n, seen[fmt.Sprint(i)], "%s of %q: events sent by the kernel = admitted by the specification", w.how, w.bytes)
			}
		})
	}
}
