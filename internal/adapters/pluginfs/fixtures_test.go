package pluginfs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// The test plugins are built once per test run, with the flags of the running test binary so
// that they can be opened by it (the first build takes ~11 s: the standard library is rebuilt
// for plugin mode).
var fixture struct {
	once sync.Once
	dir  string
	skip string
	err  error
}

// fixturePlugins names the testdata packages built into <name>.so with the test binary's flags.
var fixturePlugins = []string{"good", "dup", "nosymbol", "wrongtype", "nilsig", "faulty", "initpanic"}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// plugins returns the directory holding the built test plugins, or skips the test.
func plugins(t *testing.T) string {
	t.Helper()
	fixture.once.Do(buildFixtures)
	if fixture.skip != "" {
		t.Skip(fixture.skip)
	}
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.dir
}

// hostBuildFlags returns the go build flags that reproduce the test binary's plugin-relevant settings.
func hostBuildFlags(bi *debug.BuildInfo, invertTrimpath bool) []string {
	var flags []string
	for _, key := range []string{"-trimpath", "-race", "-msan", "-asan"} {
		on := setting(bi, key) == "true"
		if key == "-trimpath" && invertTrimpath {
			on = !on
		}
		flags = append(flags, fmt.Sprintf("%s=%t", key, on))
	}
	return flags
}

func goTool() (string, string) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goBin, "env", "GOVERSION").Output()
	if err != nil {
		return "", "no go toolchain to build test plugins"
	}
	if v := strings.TrimSpace(string(out)); v != runtime.Version() {
		return "", fmt.Sprintf("the go command is %s but this test binary was built by %s", v, runtime.Version())
	}
	return goBin, ""
}

func buildFixtures() {
	if !cgoPlugins {
		fixture.skip = "this test binary cannot open plugins (built without cgo)"
		return
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fixture.skip = "the test binary has no build info"
		return
	}
	goBin, skip := goTool()
	if skip != "" {
		fixture.skip = skip
		return
	}
	dir, err := os.MkdirTemp("", "pluginfs-fixtures-")
	if err != nil {
		fixture.err = err
		return
	}
	fixture.dir = dir
	for _, name := range fixturePlugins {
		if fixture.err = buildPlugin(goBin, "", "./testdata/"+name, filepath.Join(dir, name+".so"), hostBuildFlags(bi, false)); fixture.err != nil {
			return
		}
	}
	if fixture.err = buildPlugin(goBin, "", "../../../examples/signature-plugin", filepath.Join(dir, "example.so"), hostBuildFlags(bi, false)); fixture.err != nil {
		return
	}
	if fixture.err = buildPlugin(goBin, "", "./testdata/trimpath", filepath.Join(dir, "trimpath.so"), hostBuildFlags(bi, true)); fixture.err != nil {
		return
	}
	fixture.err = buildOtherModule(goBin, dir, hostBuildFlags(bi, false))
}

func buildPlugin(goBin, workDir, pkg, out string, flags []string) error {
	args := append([]string{"build", "-buildmode=plugin", "-buildvcs=false"}, flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command(goBin, args...)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOWORK=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return os.Chmod(out, 0o755)
}

// buildOtherModule builds testdata/othermodule as a module of its own that replaces tracee by a
// copy of its types/ with one more exported identifier in detect.
func buildOtherModule(goBin, dir string, flags []string) error {
	root := filepath.Join(dir, "othermodule")
	copyTypes := filepath.Join(root, "tracee")
	plug := filepath.Join(root, "plugin")
	for _, pkg := range []string{"detect", "protocol", "trace"} {
		src := filepath.Join("..", "..", "..", "types", pkg)
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		dst := filepath.Join(copyTypes, "types", pkg)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasSuffix(e.Name(), "_test.go") || !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
				return err
			}
		}
	}
	files := map[string]string{
		filepath.Join(copyTypes, "go.mod"):                "module github.com/seed-428f5ad7/tracee\n\ngo 1.26\n",
		filepath.Join(copyTypes, "types/detect/extra.go"): "package detect\n\n// Extra makes this copy differ from the original.\nconst Extra = 1\n",
		filepath.Join(plug, "go.mod"): "module example.com/othermodule\n\ngo 1.26\n\n" +
			"require github.com/seed-428f5ad7/tracee v0.0.0-00010101000000-000000000000\n\n" +
			"replace github.com/seed-428f5ad7/tracee => ../tracee\n",
	}
	src, err := os.ReadFile("testdata/othermodule/main.go")
	if err != nil {
		return err
	}
	files[filepath.Join(plug, "main.go")] = string(src)
	for path, text := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return buildPlugin(goBin, plug, ".", filepath.Join(dir, "othermodule.so"), append(flags, "-mod=mod"))
}
