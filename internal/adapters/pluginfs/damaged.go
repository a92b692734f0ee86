package pluginfs

import (
	"debug/elf"
	"fmt"
	"os"
)

// damagedELF says why an ELF file without readable Go build info looks truncated or damaged (a
// plugin cut short by a full disk or an interrupted copy), or "" when it looks whole, so that
// such a file is not mistaken for a C library.
func damagedELF(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	size := info.Size()
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Sprintf("a truncated or damaged ELF file (%d bytes: %v)", size, err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL {
			continue
		}
		if end := int64(s.Offset + s.FileSize); end > size {
			return fmt.Sprintf("a truncated ELF file: section %s ends at byte %d of a %d-byte file", s.Name, end, size)
		}
	}
	for _, p := range f.Progs {
		if end := int64(p.Off + p.Filesz); end > size {
			return fmt.Sprintf("a truncated ELF file: a segment ends at byte %d of a %d-byte file", end, size)
		}
	}
	if f.Section(".go.buildinfo") != nil {
		return "a Go ELF file whose build info cannot be read (damaged?)"
	}
	return ""
}
