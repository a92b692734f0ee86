package pluginfs

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// wantProblem is a problem expected for the file named File (relative to the case's directory).
type wantProblem struct {
	File  string
	Cause string // substring of the cause
	Fix   string // substring of the fix, optional
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ids(sigs []domain.LoadedSignature) []string {
	var out []string
	for _, s := range sigs {
		out = append(out, s.Info.Metadata.ID)
	}
	slices.Sort(out)
	return out
}

func TestLoader_Load_judges_every_file_on_its_own(t *testing.T) {
	fx := plugins(t)
	so := func(name string) string { return filepath.Join(fx, name+".so") }
	asRoot := os.Geteuid() == 0

	tests := []struct {
		name     string
		skip     string
		setup    func(t *testing.T, dir string)
		cfg      Config
		hostDeps []*debug.Module // added to the host's build info: test binaries record no dependencies
		args     []string        // --signatures-dir arguments relative to the case's directory; default: the directory
		wantIDs  []string
		problems []wantProblem
		warnings []string
	}{
		{
			name:    "good plugin",
			setup:   func(t *testing.T, dir string) { link(t, so("good"), filepath.Join(dir, "good.so")) },
			wantIDs: []string{"TEST-1", "TEST-2"},
		},
		{
			name:    "the example plugin of examples/signature-plugin",
			setup:   func(t *testing.T, dir string) { link(t, so("example"), filepath.Join(dir, "example.so")) },
			wantIDs: []string{"EXAMPLE-1"},
		},
		{
			name:    "a single .so file given instead of a directory",
			setup:   func(t *testing.T, dir string) { link(t, so("good"), filepath.Join(dir, "good.so")) },
			args:    []string{"good.so"},
			wantIDs: []string{"TEST-1", "TEST-2"},
		},
		{
			name:     "missing directory is a problem, the other directory loads",
			setup:    func(t *testing.T, dir string) { link(t, so("good"), filepath.Join(dir, "here", "good.so")) },
			args:     []string{"missing", "here"},
			wantIDs:  []string{"TEST-1", "TEST-2"},
			problems: []wantProblem{{File: "missing", Cause: "directory does not exist", Fix: "--signatures-dir"}},
		},
		{
			name:     "a file that is neither a directory nor a plugin",
			setup:    func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "notes.txt"), "x") },
			args:     []string{"notes.txt"},
			problems: []wantProblem{{File: "notes.txt", Cause: "is neither a directory nor a .so file"}},
		},
		{
			name:    "the same directory given twice loads once",
			setup:   func(t *testing.T, dir string) { link(t, so("good"), filepath.Join(dir, "good.so")) },
			args:    []string{".", "."},
			wantIDs: []string{"TEST-1", "TEST-2"},
		},
		{
			name: "plugins found recursively, other files ignored",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "a", "b", "good.so"))
				writeFile(t, filepath.Join(dir, "README.txt"), "not a plugin")
				writeFile(t, filepath.Join(dir, "a", "notes.so.txt"), "not a plugin")
			},
			wantIDs: []string{"TEST-1", "TEST-2"},
		},
		{
			name: "duplicate ID and event name across two files name both files",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "a_good.so"))
				link(t, so("dup"), filepath.Join(dir, "b_dup.so"))
			},
			wantIDs: []string{"TEST-1", "TEST-2", "TEST-4"},
			problems: []wantProblem{
				{File: "b_dup.so", Cause: `signature ID "TEST-1" is already defined by DIR/a_good.so`},
				{File: "b_dup.so", Cause: `event name "test_two" already used by DIR/a_good.so`},
			},
		},
		{
			name:     "missing ExportedSignatures",
			setup:    func(t *testing.T, dir string) { link(t, so("nosymbol"), filepath.Join(dir, "nosymbol.so")) },
			problems: []wantProblem{{File: "nosymbol.so", Cause: "does not export ExportedSignatures", Fix: "var ExportedSignatures = []detect.Signature"}},
			warnings: []string{"no signatures found"},
		},
		{
			name:  "ExportedSignatures of the wrong type names the type found",
			setup: func(t *testing.T, dir string) { link(t, so("wrongtype"), filepath.Join(dir, "wrongtype.so")) },
			problems: []wantProblem{{File: "wrongtype.so",
				Cause: "ExportedSignatures has type *[]*github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig.Sig, want *[]detect.Signature",
				Fix:   "a slice of the interface"}},
		},
		{
			name:    "nil signatures are refused, the others load",
			setup:   func(t *testing.T, dir string) { link(t, so("nilsig"), filepath.Join(dir, "nilsig.so")) },
			wantIDs: []string{"TEST-10"},
			problems: []wantProblem{
				{File: "nilsig.so", Cause: "ExportedSignatures[0] is nil"},
				{File: "nilsig.so", Cause: "ExportedSignatures[2] is nil"},
			},
		},
		{
			name:    "GetMetadata and GetSelectedEvents errors and panics are contained",
			setup:   func(t *testing.T, dir string) { link(t, so("faulty"), filepath.Join(dir, "faulty.so")) },
			wantIDs: []string{"TEST-20"},
			problems: []wantProblem{
				{File: "faulty.so", Cause: "ExportedSignatures[0]: GetMetadata failed: metadata unavailable"},
				{File: "faulty.so", Cause: "ExportedSignatures[1]: GetMetadata panicked: metadata exploded"},
				{File: "faulty.so", Cause: "ExportedSignatures[2]: GetSelectedEvents of TEST-23 panicked: selectors exploded"},
			},
		},
		{
			name:     "panic in the plugin's init is contained",
			setup:    func(t *testing.T, dir string) { link(t, so("initpanic"), filepath.Join(dir, "initpanic.so")) },
			problems: []wantProblem{{File: "initpanic.so", Cause: "panicked while initialising: init exploded"}},
		},
		{
			name:  "-trimpath mismatch is caught before opening",
			setup: func(t *testing.T, dir string) { link(t, so("trimpath"), filepath.Join(dir, "trimpath.so")) },
			problems: []wantProblem{{File: "trimpath.so", Cause: "built with -trimpath=",
				Fix: "rebuild the plugin with"}},
		},
		{
			name:  "other version of a shared package names the package and both versions",
			setup: func(t *testing.T, dir string) { link(t, so("othermodule"), filepath.Join(dir, "othermodule.so")) },
			problems: []wantProblem{{File: "othermodule.so",
				Cause: "the plugin takes module github.com/seed-428f5ad7/tracee from a directory (v0.0.0-00010101000000-000000000000 => ../tracee) while it is this tracee's main module",
				Fix:   "--source TRACEE_SOURCE` with tracee's source at the revision of this binary (a go.work holding both)"}},
		},
		{
			name:     "other version of a shared module is caught before opening, naming both versions",
			setup:    func(t *testing.T, dir string) { link(t, so("newerdep"), filepath.Join(dir, "newerdep.so")) },
			hostDeps: []*debug.Module{{Path: "go.uber.org/fx", Version: "v1.24.0"}},
			problems: []wantProblem{{File: "newerdep.so",
				Cause: "built against go.uber.org/fx v1.24.99, this tracee has go.uber.org/fx v1.24.0",
				Fix:   "in the plugin's module run `go get go.uber.org/fx@v1.24.0` and rebuild it"}},
		},
		{
			name: "copy of a loaded plugin names the first file",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "a_good.so"))
				copyFile(t, so("good"), filepath.Join(dir, "b_copy.so"), 0o755)
			},
			wantIDs:  []string{"TEST-1", "TEST-2"},
			problems: []wantProblem{{File: "b_copy.so", Cause: "same main package github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/good as"}},
		},
		{
			name:     "text file named .so",
			setup:    func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "text.so"), "hello\n") },
			problems: []wantProblem{{File: "text.so", Cause: "not a Go plugin: not an ELF shared object", Fix: "remove it"}},
		},
		{
			name: "ELF file that is not a Go plugin",
			skip: missing("/bin/true"),
			setup: func(t *testing.T, dir string) {
				copyFile(t, "/bin/true", filepath.Join(dir, "libc-thing.so"), 0o755)
			},
			problems: []wantProblem{{File: "libc-thing.so", Cause: "not a Go plugin: an ELF file without Go build info"}},
		},
		{
			name: "truncated Go plugin is not called a C library",
			setup: func(t *testing.T, dir string) {
				data, err := os.ReadFile(so("good"))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, "cut.so"), string(data[:len(data)/2]))
			},
			problems: []wantProblem{{File: "cut.so", Cause: "not a loadable plugin: a truncated", Fix: "build or copy it again"}},
		},
		{
			name: "Go program that is not a plugin",
			setup: func(t *testing.T, dir string) {
				exe, err := os.Executable()
				if err != nil {
					t.Fatal(err)
				}
				copyFile(t, exe, filepath.Join(dir, "program.so"), 0o755)
			},
			problems: []wantProblem{{File: "program.so", Cause: "is a Go binary built with -buildmode=exe, not a plugin", Fix: "-buildmode=plugin"}},
		},
		{
			name: "symlink loops are reported and the rest loads",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "sub", "good.so"))
				link(t, "..", filepath.Join(dir, "sub", "back"))
				link(t, "self.so", filepath.Join(dir, "self.so"))
			},
			wantIDs: []string{"TEST-1", "TEST-2"},
			problems: []wantProblem{
				{File: "self.so", Cause: "symlink loop"},
				{File: "sub/back", Cause: "symlink loop: leads back to DIR"},
			},
		},
		{
			name:     "broken symlink",
			setup:    func(t *testing.T, dir string) { link(t, "nowhere.so", filepath.Join(dir, "gone.so")) },
			problems: []wantProblem{{File: "gone.so", Cause: "broken symlink to nowhere.so"}},
		},
		{
			name: "world-writable plugin is refused",
			setup: func(t *testing.T, dir string) {
				copyFile(t, so("good"), filepath.Join(dir, "open.so"), 0o646)
			},
			problems: []wantProblem{{File: "open.so", Cause: "is writable by others (mode 0646)",
				Fix: "chmod o-w DIR/open.so, or pass --allow-unsafe-plugins"}},
		},
		{
			name: "group-writable directory above the plugin is refused",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "shared", "good.so"))
				if err := os.Chmod(filepath.Join(dir, "shared"), 0o775); err != nil {
					t.Fatal(err)
				}
			},
			problems: []wantProblem{{File: "shared/good.so", Cause: "directory DIR/shared above it is writable by its group (mode 0775)",
				Fix: "chmod g-w DIR/shared"}},
		},
		{
			name: "sticky world-writable directory like /tmp is accepted",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "tmp", "good.so"))
				if err := os.Chmod(filepath.Join(dir, "tmp"), os.ModeSticky|0o777); err != nil {
					t.Fatal(err)
				}
			},
			wantIDs: []string{"TEST-1", "TEST-2"},
		},
		{
			name: "AllowNonRootWritable loads with a warning",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "shared", "good.so"))
				if err := os.Chmod(filepath.Join(dir, "shared"), 0o777); err != nil {
					t.Fatal(err)
				}
			},
			cfg:      Config{AllowNonRootWritable: true},
			wantIDs:  []string{"TEST-1", "TEST-2"},
			warnings: []string{"directory DIR/shared above it is writable by its group and others (mode 0777); loaded anyway (--allow-unsafe-plugins)"},
		},
		{
			name: "plugin owned by another user is refused",
			skip: map[bool]string{false: "needs root to chown"}[asRoot],
			setup: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "theirs.so")
				copyFile(t, so("good"), p, 0o755)
				if err := os.Chown(p, 65534, -1); err != nil {
					t.Fatal(err)
				}
			},
			problems: []wantProblem{{File: "theirs.so", Cause: "is owned by", Fix: "chown root DIR/theirs.so"}},
		},
		{
			name: "directory above the plugin owned by another user is refused",
			skip: map[bool]string{false: "needs root to chown"}[asRoot],
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "home", "good.so"))
				if err := os.Chown(filepath.Join(dir, "home"), 65534, -1); err != nil {
					t.Fatal(err)
				}
			},
			problems: []wantProblem{{File: "home/good.so", Cause: "directory DIR/home above it is owned by", Fix: "chown root DIR/home"}},
		},
		{
			name: "unreadable plugin file is reported",
			skip: map[bool]string{true: "root reads any file"}[asRoot],
			setup: func(t *testing.T, dir string) {
				copyFile(t, so("good"), filepath.Join(dir, "secret.so"), 0)
			},
			problems: []wantProblem{{File: "secret.so", Cause: "cannot read file: permission denied", Fix: "readable"}},
		},
		{
			name: "unreadable directory is reported, the rest loads",
			skip: map[bool]string{true: "root reads any directory"}[asRoot],
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "good.so"))
				locked := filepath.Join(dir, "locked")
				if err := os.Mkdir(locked, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(locked, 0); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(locked, 0o755) })
			},
			wantIDs:  []string{"TEST-1", "TEST-2"},
			problems: []wantProblem{{File: "locked", Cause: "cannot read directory: permission denied"}},
		},
		{
			name:     "empty directory is a warning",
			setup:    func(t *testing.T, dir string) {},
			warnings: []string{"no signatures found in DIR: tracee keeps running"},
		},
		{
			name: "same file reached twice loads once",
			setup: func(t *testing.T, dir string) {
				link(t, so("good"), filepath.Join(dir, "a.so"))
				link(t, "a.so", filepath.Join(dir, "b.so"))
			},
			wantIDs:  []string{"TEST-1", "TEST-2"},
			warnings: []string{"DIR/b.so is the same file as DIR/a.so: loaded once"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			dir := t.TempDir()
			tt.setup(t, dir)
			roots := []string{dir}
			if tt.args != nil {
				roots = nil
				for _, a := range tt.args {
					roots = append(roots, filepath.Join(dir, a))
				}
			}
			l := New(tt.cfg, nil)
			if tt.hostDeps != nil && l.host.BuildInfo != nil {
				bi := *l.host.BuildInfo
				bi.Deps = append(append([]*debug.Module(nil), bi.Deps...), tt.hostDeps...)
				l.host.BuildInfo = &bi
			}
			res := l.Load(context.Background(), roots)
			expand := func(s string) string { return strings.ReplaceAll(s, "DIR", dir) }

			if got := ids(res.Signatures); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("signatures = %v, want %v", got, tt.wantIDs)
			}
			for _, s := range res.Signatures {
				if !strings.HasPrefix(s.Info.Origin, dir) {
					t.Errorf("origin %q of %s is not under %s", s.Info.Origin, s.Info.Metadata.ID, dir)
				}
			}
			matched := make([]bool, len(res.Problems))
			for _, want := range tt.problems {
				found := false
				for i, p := range res.Problems {
					if p.Path == filepath.Join(dir, want.File) && strings.Contains(p.Cause, expand(want.Cause)) &&
						strings.Contains(p.Fix, expand(want.Fix)) {
						found, matched[i] = true, true
					}
				}
				if !found {
					t.Errorf("no problem %s: %q (fix %q) among:\n%s", want.File, expand(want.Cause), expand(want.Fix), problemLines(res.Problems))
				}
			}
			for i, p := range res.Problems {
				if !matched[i] {
					t.Errorf("unexpected problem: %s", p)
				}
				if strings.Contains(p.String(), "\n") || p.Cause == "" || p.Fix == "" {
					t.Errorf("problem is not one line with a cause and a fix: %q", p)
				}
			}
			for _, want := range tt.warnings {
				if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, expand(want)) }) {
					t.Errorf("no warning %q among %q", expand(want), res.Warnings)
				}
			}
		})
	}
}

func missing(path string) string {
	if _, err := os.Stat(path); err != nil {
		return path + " is not available"
	}
	return ""
}

func problemLines(ps []domain.LoadProblem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
