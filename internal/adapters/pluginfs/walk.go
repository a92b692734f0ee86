package pluginfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// dirID identifies a directory independently of the path that reached it.
type dirID struct{ dev, ino uint64 }

func idOf(info fs.FileInfo) (dirID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return dirID{}, false
	}
	return dirID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true //nolint:unconvert // field types vary by GOARCH
}

// walker finds the .so files under a set of roots, following symlinks, reporting loops, broken
// links and unreadable directories as problems and going on with the rest.
type walker struct {
	visited  map[dirID]bool
	files    []string
	problems []domain.LoadProblem
}

func isPluginName(name string) bool { return strings.HasSuffix(name, ".so") }

func (w *walker) problem(path, cause, fix string) {
	w.problems = append(w.problems, domain.LoadProblem{Path: path, Cause: cause, Fix: fix})
}

// root walks one --signatures-dir argument: a directory, or a single .so file.
func (w *walker) root(ctx context.Context, root string) {
	info, err := os.Stat(root)
	if err != nil {
		w.statProblem(root, err, true)
		return
	}
	switch {
	case info.IsDir():
		w.dir(ctx, root, info, nil)
	case info.Mode().IsRegular() && isPluginName(root):
		w.files = append(w.files, root)
	default:
		w.problem(root, "is neither a directory nor a .so file", "pass a directory of signature plugins")
	}
}

type frame struct {
	id   dirID
	path string
}

func (w *walker) dir(ctx context.Context, dir string, info fs.FileInfo, stack []frame) {
	if ctx.Err() != nil {
		return
	}
	id, ok := idOf(info)
	if ok {
		for _, f := range stack {
			if f.id == id {
				w.problem(dir, fmt.Sprintf("symlink loop: leads back to %s", f.path),
					"remove the symlink or point it outside the signatures directory")
				return
			}
		}
		if w.visited[id] {
			return // reached again through another symlink: already scanned
		}
		w.visited[id] = true
		stack = append(stack, frame{id: id, path: dir})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.statProblem(dir, err, true)
		// ReadDir returns what it read before the error; go on with those.
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink == 0 && !typ.IsDir() && !isPluginName(e.Name()) {
			continue
		}
		info, err := os.Stat(path) // follows symlinks
		if err != nil {
			if typ.IsDir() || isPluginName(e.Name()) || errors.Is(err, syscall.ELOOP) {
				w.statProblem(path, err, typ.IsDir())
			}
			continue
		}
		switch {
		case info.IsDir():
			w.dir(ctx, path, info, stack)
		case !isPluginName(e.Name()):
		case info.Mode().IsRegular():
			w.files = append(w.files, path)
		default:
			w.problem(path, fmt.Sprintf("is not a regular file (%s)", info.Mode().Type()),
				"remove it from the signatures directory; only Go plugins (.so files) belong there")
		}
	}
}

// statProblem explains why a path could not be read.
func (w *walker) statProblem(path string, err error, isDir bool) {
	kind := "file"
	if isDir {
		kind = "directory"
	}
	switch {
	case errors.Is(err, syscall.ELOOP):
		w.problem(path, "symlink loop: the link resolves to itself", "remove the symlink or point it at a real file")
	case errors.Is(err, fs.ErrNotExist):
		if target, lerr := os.Readlink(path); lerr == nil {
			w.problem(path, "broken symlink to "+target, "remove the symlink or restore its target")
			return
		}
		w.problem(path, kind+" does not exist", "check the path given to --signatures-dir")
	case errors.Is(err, fs.ErrPermission):
		w.problem(path, "cannot read "+kind+": permission denied",
			"make it readable by the user running tracee (chmod/chown), or run tracee as root")
	default:
		w.problem(path, "cannot read "+kind+": "+unwrapPathError(err), "check the path and the file system")
	}
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
