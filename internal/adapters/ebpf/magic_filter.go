package ebpf

import (
	"fmt"
	"slices"

	"github.com/cilium/ebpf"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// maxMagicPrefixes is how many prefixes the kernel compares (MAGIC_PREFIXES in
// bpf/lib/magic_filter.h).
const maxMagicPrefixes = 4

// setMagicFilter turns on the kernel's magic_write prefilter with what mi admits; nil leaves it
// off (every magic_write is sent). The filter is a read-only global: set before the programs load.
func setMagicFilter(spec *ebpf.CollectionSpec, mi *domain.MagicInterest) error {
	if mi == nil {
		return nil
	}
	conf, err := magicFilterConf(*mi)
	if err != nil {
		return err
	}
	if err := spec.Variables[traceeVarMagicFilter].Set(conf); err != nil {
		return fmt.Errorf("ebpf: set magic_write filter: %w", err)
	}
	return nil
}

// magicFilterConf is the kernel's form of mi: each prefix, cut to domain.MagicPrefixMax bytes, as
// a little-endian word and a mask of its length.
func magicFilterConf(mi domain.MagicInterest) (traceeMagicFilterConf, error) {
	conf := traceeMagicFilterConf{On: 1}
	var prefixes []string
	for _, p := range mi.Prefixes {
		if len(p) > domain.MagicPrefixMax {
			p = p[:domain.MagicPrefixMax]
		}
		if !slices.Contains(prefixes, p) {
			prefixes = append(prefixes, p)
		}
	}
	if len(prefixes) > maxMagicPrefixes {
		return conf, fmt.Errorf("ebpf: magic_write filter: %d byte prefixes declared by the signatures, at most %d fit the kernel filter; declare fewer or leave the interest undeclared", len(prefixes), maxMagicPrefixes)
	}
	conf.MinLen = domain.MagicPrefixMax
	for i, p := range prefixes {
		conf.Len[i] = uint32(len(p))
		conf.MinLen = min(conf.MinLen, uint32(len(p)))
		for j := 0; j < len(p); j++ {
			conf.Word[i] |= uint64(p[j]) << (8 * j)
			conf.Mask[i] |= 0xff << (8 * j)
		}
	}
	conf.Nprefix = uint32(len(prefixes))
	return conf, nil
}
