package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testplugins"
)

// The loader's test plugins (internal/adapters/pluginfs/testdata), built once per run with the
// same flags as the tracee binary of builtTracee, plus one built with the opposite -trimpath. They
// live in a folder of builtTracee's temp dir, so they go wherever that goes.
var (
	listPluginsOnce sync.Once
	listPluginsDir  string
	listPluginsErr  error
)

var listPluginPackages = map[string]string{
	"good":      "./internal/adapters/pluginfs/testdata/good",
	"dup":       "./internal/adapters/pluginfs/testdata/dup",
	"nosymbol":  "./internal/adapters/pluginfs/testdata/nosymbol",
	"wrongtype": "./internal/adapters/pluginfs/testdata/wrongtype",
	"nilsig":    "./internal/adapters/pluginfs/testdata/nilsig",
	"faulty":    "./internal/adapters/pluginfs/testdata/faulty",
	"stuck":     "./internal/adapters/pluginfs/testdata/stuck",
	"example":   "./examples/signature-plugin",
}

func listPlugins(t *testing.T) string {
	t.Helper()
	bin := builtTracee(t) // skips with -short, and the plugins must match that binary
	root := repoRoot(t)
	listPluginsOnce.Do(func() {
		listPluginsDir = filepath.Join(filepath.Dir(bin), "test-plugins")
		if listPluginsErr = os.MkdirAll(listPluginsDir, 0o755); listPluginsErr != nil {
			return
		}
		flags := trimpathFlag()
		opposite := []string{"-trimpath"}
		if len(flags) > 0 {
			opposite = []string{"-trimpath=false"}
		}
		so := func(name string) string { return filepath.Join(listPluginsDir, name+".so") }
		for name, pkg := range listPluginPackages {
			if listPluginsErr = testplugins.Build(root, pkg, so(name), flags, nil); listPluginsErr != nil {
				return
			}
		}
		if listPluginsErr = testplugins.Build(root, "./internal/adapters/pluginfs/testdata/trimpath", so("trimpath"), opposite, nil); listPluginsErr != nil {
			return
		}
		if listPluginsErr = testplugins.BuildNewerDependency(filepath.Join(listPluginsDir, "newerdep"), so("newerdep"), flags); listPluginsErr != nil {
			return
		}
		listPluginsErr = testplugins.BuildOtherTypes(root, filepath.Join(root, "internal/adapters/pluginfs/testdata/othermodule/main.go"),
			filepath.Join(listPluginsDir, "othertypes"), so("othertypes"), flags)
	})
	if listPluginsErr != nil {
		t.Fatalf("build test plugins: %v", listPluginsErr)
	}
	return listPluginsDir
}

// pluginDir lays out a signatures directory in a temp dir: each name links to a built plugin;
// "link=plugin" names the link differently (the walk, and so the first of two duplicates, is sorted).
func pluginDir(t *testing.T, names ...string) string {
	t.Helper()
	built := listPlugins(t)
	dir := t.TempDir()
	for _, n := range names {
		link, plugin, ok := strings.Cut(n, "=")
		if !ok {
			plugin = link
		}
		if err := os.Symlink(filepath.Join(built, plugin+".so"), filepath.Join(dir, link+".so")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestList_signatures_dir_over_good_and_broken_plugins(t *testing.T) {
	dir := pluginDir(t, "a_good=good", "b_dup=dup", "nosymbol", "wrongtype", "nilsig", "faulty", "trimpath", "newerdep", "othertypes")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.so"), []byte("not a plugin\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("ignored\n"), 0o644))
	require.NoError(t, os.Symlink(".", filepath.Join(dir, "loop")))

	stdout, stderr, code := runTracee(t, "list", "--signatures-dir", dir, "--kind", "signature", "--wide")
	require.Equal(t, 0, code, "broken plugins are explained, not fatal\n%s", stderr)

	// The good signatures are listed with the file they came from; the built-in set is not loaded.
	for _, want := range []string{"test_one", "TEST-1", "test_two", "TEST-2", "TEST-4", "TEST-10", "TEST-20", filepath.Join(dir, "a_good.so")} {
		assert.Contains(t, stdout, want)
	}
	assert.NotContains(t, stdout, "anti_debugging", "--signatures-dir replaces the default directory")

	// Each broken file is one line: path, cause, fix.
	problems := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if rest, ok := strings.CutPrefix(line, "tracee: signature not loaded: "); ok {
			assert.Contains(t, rest, "; fix: ", line)
			path, _, _ := strings.Cut(rest, ": ")
			problems[filepath.Base(path)] += rest + "\n"
		}
	}
	wants := []struct{ file, cause string }{
		{"b_dup.so", `signature ID "TEST-1" is already defined by ` + filepath.Join(dir, "a_good.so")},
		{"b_dup.so", `event name "test_two" already used by ` + filepath.Join(dir, "a_good.so")},
		{"nosymbol.so", "does not export ExportedSignatures"},
		{"wrongtype.so", "ExportedSignatures has type *[]*"},
		{"nilsig.so", "ExportedSignatures[0] is nil"},
		{"faulty.so", "GetMetadata failed: metadata unavailable"},
		{"faulty.so", "GetMetadata panicked: metadata exploded"},
		{"faulty.so", "GetSelectedEvents of TEST-23 panicked"},
		{"trimpath.so", "built with -trimpath="},
		// Caught from the build info before opening: the real binary lists its modules.
		{"newerdep.so", "built against go.uber.org/fx v1.24.99, this tracee has go.uber.org/fx v1."},
		// Left to Go's check (a local replace has no version), then explained.
		{"othertypes.so", "built with a different version of package github.com/seed-428f5ad7/tracee/types/"},
		{"othertypes.so", "the plugin takes module github.com/seed-428f5ad7/tracee from a directory (v0.0.0-00010101000000-000000000000 => ../tracee) while it is this tracee's main module"},
		{"notes.so", "not a Go plugin: not an ELF shared object"},
		{"loop", "symlink loop"},
	}
	for _, w := range wants {
		assert.Contains(t, problems[w.file], w.cause, "stderr:\n%s", stderr)
	}
}

func TestList_signatures_dir_json_reports_problems(t *testing.T) {
	dir := pluginDir(t, "example", "nosymbol")
	stdout, stderr, code := runTracee(t, "list", "--signatures-dir", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var out struct {
		Events []struct {
			Name      string `json:"name"`
			Signature *struct {
				ID   string `json:"id"`
				File string `json:"file"`
			} `json:"signature"`
		} `json:"events"`
		Problems []struct{ Path, Cause, Fix string } `json:"problems"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	var sigs []string
	for _, e := range out.Events {
		if e.Signature != nil {
			sigs = append(sigs, e.Signature.ID+" "+e.Name+" "+e.Signature.File)
		}
	}
	assert.Equal(t, []string{"EXAMPLE-1 example_exec_from_shm " + filepath.Join(dir, "example.so")}, sigs)
	require.Len(t, out.Problems, 1)
	assert.Equal(t, filepath.Join(dir, "nosymbol.so"), out.Problems[0].Path)
	assert.Contains(t, out.Problems[0].Cause, "does not export ExportedSignatures")
	assert.NotEmpty(t, out.Problems[0].Fix)
}

func TestList_signatures_dir_refuses_unsafe_plugins_unless_allowed(t *testing.T) {
	dir := pluginDir(t, "good")
	require.NoError(t, os.Chmod(dir, 0o777))

	stdout, stderr, code := runTracee(t, "list", "--signatures-dir", dir, "--kind", "signature")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stdout, "TEST-1")
	assert.Contains(t, stderr, "directory "+dir+" above it is writable by its group and others (mode 0777)")
	assert.Contains(t, stderr, "or pass --allow-unsafe-plugins")
	assert.Contains(t, stderr, "no signatures found")

	stdout, stderr, code = runTracee(t, "list", "--signatures-dir", dir, "--allow-unsafe-plugins", "--kind", "signature")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "TEST-1")
	assert.Contains(t, stderr, "loaded anyway (--allow-unsafe-plugins)")
}

func TestList_signatures_dir_repeatable_and_empty(t *testing.T) {
	a, b, empty := pluginDir(t, "good"), pluginDir(t, "example"), t.TempDir()

	stdout, stderr, code := runTracee(t, "list", "--signatures-dir", a, "--signatures-dir", b, "--kind", "signature")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "TEST-1")
	assert.Contains(t, stdout, "EXAMPLE-1")

	stdout, stderr, code = runTracee(t, "list", "--signatures-dir", empty)
	require.Equal(t, 0, code, "no signatures is a warning, not an error\n%s", stderr)
	assert.Contains(t, stderr, "no signatures found in "+empty)
	assert.Contains(t, stdout, "sched_process_exec", "system events are still listed")
}

func TestList_default_signatures_dir_next_to_the_binary(t *testing.T) {
	listPlugins(t)
	stdout, stderr, code := runTracee(t, "list", "--kind", "signature", "--wide")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "anti_debugging")
	assert.Contains(t, stdout, filepath.Join(filepath.Dir(builtTracee(t)), "signatures", "builtin.so"))
	assert.NotContains(t, stderr, "signature not loaded", stderr)
}
