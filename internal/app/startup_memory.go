package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/memtrim"
)

// releaseStartupMemory gives back what only start-up used, once the live source is ready: the
// heap garbage of loading (the kernel's BTF, plugins) and the file pages mapped to start
// (memtrim.Release), the executable's and the signature plugins' read back page by page as used.
func releaseStartupMemory(log *slog.Logger, signatureDirs []string) {
	debug.FreeOSMemory()
	res, err := memtrim.Release(ownFiles(signatureDirs))
	if err != nil {
		log.Warn("could not release start-up memory", "error", err)
		return
	}
	log.Info("start-up memory released", "mappings", res.Mappings, "file_bytes", res.Bytes, "own_mappings", res.Own)
}

// ownFiles accepts the agent's executable and files under the signature directories.
func ownFiles(signatureDirs []string) func(string) bool {
	exe, _ := os.Executable()
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	var dirs []string
	for _, d := range signatureDirs {
		if p, err := filepath.EvalSymlinks(d); err == nil {
			d = p
		}
		if abs, err := filepath.Abs(d); err == nil {
			dirs = append(dirs, abs+string(filepath.Separator))
		}
	}
	return func(path string) bool {
		if exe != "" && path == exe {
			return true
		}
		for _, d := range dirs {
			if strings.HasPrefix(path, d) {
				return true
			}
		}
		return false
	}
}
