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

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testplugins"
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

// fixturePlugins maps each built <name>.so to its package, built with the test binary's flags.
var fixturePlugins = map[string]string{
	"good":      "./testdata/good",
	"dup":       "./testdata/dup",
	"nosymbol":  "./testdata/nosymbol",
	"wrongtype": "./testdata/wrongtype",
	"nilsig":    "./testdata/nilsig",
	"faulty":    "./testdata/faulty",
	"initpanic": "./testdata/initpanic",
	"example":   "../../../examples/signature-plugin",
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{fixture.dir, outOfTree.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
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

// goToolProblem says why the go command cannot build plugins this test binary can open.
func goToolProblem() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "no go command to build test plugins"
	}
	if v := strings.TrimSpace(string(out)); v != runtime.Version() {
		return fmt.Sprintf("the go command is %s but this test binary was built by %s", v, runtime.Version())
	}
	return ""
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
	if fixture.skip = goToolProblem(); fixture.skip != "" {
		return
	}
	dir, err := os.MkdirTemp("", "pluginfs-fixtures-")
	if err != nil {
		fixture.err = err
		return
	}
	fixture.dir = dir
	flags := hostBuildFlags(bi, false)
	so := func(name string) string { return filepath.Join(dir, name+".so") }
	for name, pkg := range fixturePlugins {
		if fixture.err = testplugins.Build("", pkg, so(name), flags, nil); fixture.err != nil {
			return
		}
	}
	steps := []func() error{
		func() error {
			return testplugins.Build("", "./testdata/trimpath", so("trimpath"), hostBuildFlags(bi, true), nil)
		},
		func() error {
			return testplugins.BuildOtherTypes("../../..", "testdata/othermodule/main.go", filepath.Join(dir, "othermodule"), so("othermodule"), flags)
		},
		func() error {
			return testplugins.BuildNewerDependency(filepath.Join(dir, "newerdep"), so("newerdep"), flags)
		},
	}
	for _, step := range steps {
		if fixture.err = step(); fixture.err != nil {
			return
		}
	}
}
