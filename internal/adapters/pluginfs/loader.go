// Package pluginfs loads signatures from Go plugins (.so files) found in directories: the
// filesystem adapter behind ports.SignatureLoader. Every file is judged on its own, before and
// after it is opened, and each failure becomes one domain.LoadProblem naming the file, the cause
// and the fix.
package pluginfs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Config tunes the loader.
type Config struct {
	// AllowNonRootWritable loads plugins that someone other than root (or the user running
	// tracee) could have written; they are refused by default because tracee runs them as root.
	AllowNonRootWritable bool
}

// Loader implements ports.SignatureLoader for directories of Go plugins.
type Loader struct {
	cfg  Config
	log  *slog.Logger
	host host
	euid int
}

// New returns a loader; it reads the running binary's build info once.
func New(cfg Config, log *slog.Logger) *Loader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loader{cfg: cfg, log: log.With("component", "pluginfs"), host: readHost(), euid: os.Geteuid()}
}

// DefaultDir is Tracee's default signatures directory: "signatures" next to the executable.
func DefaultDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "signatures"
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return filepath.Join(filepath.Dir(exe), "signatures")
}

// Load walks every directory recursively and loads the signatures of every .so file found.
// It never stops at a bad file: failures are returned as problems, duplicates (signature ID or
// event name) are dropped naming both files, and finding no signature at all is a warning.
func (l *Loader) Load(ctx context.Context, dirs []string) domain.LoadResult {
	var res domain.LoadResult
	w := &walker{visited: map[dirID]bool{}}
	for _, d := range dirs {
		w.root(ctx, d)
	}
	res.Problems = append(res.Problems, w.problems...)

	if u := l.host.Unsupported; u != nil && len(w.files) > 0 {
		res.Problems = append(res.Problems, domain.LoadProblem{Path: l.host.Exe,
			Cause: fmt.Sprintf("%s; %d plugin(s) not loaded", u.Cause, len(w.files)), Fix: u.Fix})
		w.files = nil
	}

	var loaded []domain.LoadedSignature
	var sources []domain.LoadedDataSource
	seen := map[string]string{} // real path -> first path that reached it
	for _, path := range w.files {
		if ctx.Err() != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("loading signatures stopped: %v", ctx.Err()))
			break
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			real = path
		}
		if first, dup := seen[real]; dup {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is the same file as %s: loaded once", path, first))
			continue
		}
		seen[real] = path
		out := l.loadFile(path, real)
		l.log.Debug("plugin judged", "path", path, "signatures", len(out.Signatures), "problems", len(out.Problems))
		loaded = append(loaded, out.Signatures...)
		sources = append(sources, out.DataSources...)
		res.Problems = append(res.Problems, out.Problems...)
		res.Warnings = append(res.Warnings, out.Warnings...)
	}

	sigs, dups := domain.DedupeSignatures(loaded)
	res.Signatures = sigs
	res.Problems = append(res.Problems, dups...)
	res.DataSources, dups = domain.DedupeDataSources(sources)
	res.Problems = append(res.Problems, dups...)
	switch {
	case len(dirs) == 0:
		res.Warnings = append(res.Warnings, "no signatures directory given: no signature events are available")
	case len(res.Signatures) == 0:
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"no signatures found in %s: tracee keeps running, but no signature events are available", strings.Join(dirs, ", ")))
	}
	return res
}

// loadFile judges one plugin: trust, build compatibility, then opening it.
func (l *Loader) loadFile(path, real string) fileResult {
	var out fileResult
	if m := checkTrust(path, real, l.euid); m != nil {
		if !l.cfg.AllowNonRootWritable {
			out.problem(path, m.Cause, m.Fix)
			return out
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: %s; loaded anyway (%s)", path, m.Cause, AllowUnsafeFlag))
	}
	return out.merge(l.open(path, real))
}
