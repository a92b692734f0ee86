package ebpf

import (
	"fmt"
	"slices"

	"github.com/cilium/ebpf"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Kinds of an open_names entry; must match enum open_name_kind in bpf/lib/open_filter.h.
const (
	openName   uint32 = 1
	openDir    uint32 = 2
	openPrefix uint32 = 4
)

// maxOpenPrefixLens is how many distinct prefix lengths the kernel tries (OPEN_PREFIX_LENS).
const maxOpenPrefixLens = 4

// loadOpenFilter turns on the kernel's security_file_open prefilter with what oi admits; nil
// leaves it off (every open is sent).
func loadOpenFilter(maps map[string]*ebpf.Map, oi *domain.OpenInterest) error {
	if oi == nil {
		return nil
	}
	conf := traceeOpenFilterConf{On: 1}
	if oi.Writes {
		conf.Writes = 1
	}
	if oi.Traversal {
		conf.Traversal = 1
	}
	if oi.Namespaces {
		conf.Namespaces = 1
	}
	kinds := map[string]uint32{}
	for _, n := range oi.Names {
		if n = truncOpenName(n); n != "" {
			kinds[n] |= openName
			conf.NameFirst[n[0]>>6] |= 1 << (n[0] & 63)
		}
	}
	for _, n := range oi.Dirs {
		if n = truncOpenName(n); n != "" {
			kinds[n] |= openDir
			conf.DirFirst[n[0]>>6] |= 1 << (n[0] & 63)
		}
	}
	var lens []uint32
	for _, p := range oi.NamePrefixes {
		p = truncOpenName(p)
		if p == "" {
			return fmt.Errorf("ebpf: open filter: an empty name prefix admits every read; leave the interest undeclared instead")
		}
		kinds[p] |= openPrefix
		conf.PrefixFirst[p[0]>>6] |= 1 << (p[0] & 63)
		if !slices.Contains(lens, uint32(len(p))) {
			lens = append(lens, uint32(len(p)))
		}
	}
	if len(lens) > maxOpenPrefixLens {
		return fmt.Errorf("ebpf: open filter: name prefixes of %d different lengths, at most %d fit the kernel filter", len(lens), maxOpenPrefixLens)
	}
	conf.Nprefix = uint32(len(lens))
	copy(conf.PrefixLen[:], lens)
	names := maps[traceeMapOpenNames]
	if len(kinds) > int(names.MaxEntries()) {
		return fmt.Errorf("ebpf: open filter: %d names, at most %d fit the kernel filter", len(kinds), names.MaxEntries())
	}
	for n, kind := range kinds {
		var key traceeOpenName
		for i := 0; i < len(n); i++ {
			key.Name[i] = int8(n[i])
		}
		if err := names.Put(key, kind); err != nil {
			return fmt.Errorf("ebpf: open filter name %q: %w", n, err)
		}
	}
	if err := maps[traceeMapOpenFilter].Put(uint32(0), conf); err != nil {
		return fmt.Errorf("ebpf: open filter: %w", err)
	}
	return nil
}

func truncOpenName(s string) string {
	if len(s) > domain.OpenNameMax {
		return s[:domain.OpenNameMax]
	}
	return s
}
