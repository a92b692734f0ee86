package e2e

import (
	"os"
	"path/filepath"
	"plugin"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/signatures"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

// TestBuiltinPlugin_exports_every_signature opens dist/signatures/builtin.so (built by `make
// signatures`, which `make test` runs first) the way the plugin loader does. It lives here, not in
// signatures/plugin, because a test binary that compiles a package with its test files cannot open a
// plugin built from the same package.
func TestBuiltinPlugin_exports_every_signature(t *testing.T) {
	path := filepath.Join("..", "..", "dist", "signatures", "builtin.so")
	if _, err := os.Stat(path); err != nil {
		t.Skip("dist/signatures/builtin.so is not built: run `make signatures` first")
	}
	p, err := plugin.Open(path)
	if err != nil {
		switch {
		case strings.Contains(err.Error(), "not implemented"):
			t.Skip("needs cgo (CGO_ENABLED=1) to open plugins")
		case strings.Contains(err.Error(), "different version") && !builtWithTrimpath():
			t.Skip("this test binary was built without -trimpath, the plugin with it: run `make test`")
		case strings.Contains(err.Error(), "different version") && olderThanSources(t, path):
			t.Skip("dist/signatures/builtin.so is older than signatures/: run `make signatures` (make test does)")
		}
		t.Fatalf("open %s: %v (stale plugin? run `make signatures`)", path, err)
	}
	sym, err := p.Lookup("ExportedSignatures")
	if err != nil {
		t.Fatal(err)
	}
	exported, ok := sym.(*[]detect.Signature)
	if !ok {
		t.Fatalf("ExportedSignatures is %T, want *[]detect.Signature", sym)
	}
	want := map[string]bool{}
	for _, s := range signatures.All() {
		md, _ := s.GetMetadata()
		want[md.ID] = true
	}
	if len(*exported) != len(want) {
		t.Errorf("plugin exports %d signatures, the package has %d", len(*exported), len(want))
	}
	for _, s := range *exported {
		md, err := s.GetMetadata()
		if err != nil || !want[md.ID] {
			t.Errorf("unexpected signature %q (%v)", md.ID, err)
		}
	}
}

func builtWithTrimpath() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-trimpath" {
			return s.Value == "true"
		}
	}
	return false
}

// olderThanSources reports whether a build output is older than the last change to a non-test Go
// file of the repository.
func olderThanSources(t *testing.T, plugin string) bool {
	st, err := os.Stat(plugin)
	if err != nil {
		return false
	}
	newer := false
	_ = filepath.WalkDir(filepath.Join("..", ".."), func(p string, d os.DirEntry, err error) error {
		if err != nil || newer {
			return filepath.SkipDir
		}
		if d.IsDir() && (d.Name() == "dist" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			if info, err := d.Info(); err == nil && info.ModTime().After(st.ModTime()) {
				newer = true
			}
		}
		return nil
	})
	return newer
}
