// Package testplugins builds Go plugins for the loader's tests and the CLI's end-to-end tests.
// It is test support only: nothing in the agent imports it.
package testplugins

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build runs go build -buildmode=plugin for pkg (relative to workDir) into out, with cgo on and
// VCS stamping off, plus flags and extra environment.
func Build(workDir, pkg, out string, flags, env []string) error {
	args := append([]string{"build", "-buildmode=plugin", "-buildvcs=false"}, flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = workDir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=1", "GOWORK=off"), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return os.Chmod(out, 0o755)
}

// NewerDependency is a module the agent links (through fx) and the version of it that
// BuildNewerDependency's plugin is built against.
const (
	NewerDependency        = "go.uber.org/fx"
	NewerDependencyVersion = "v1.24.99"
)

// BuildNewerDependency builds into out a plugin built against a stand-in NewerDependency at
// NewerDependencyVersion, served by a file-system module proxy under workDir with its own module
// cache, so nothing leaks into the user's. The loader must refuse it from its build info alone.
func BuildNewerDependency(workDir, out string, flags []string) error {
	proxy := filepath.Join(workDir, "proxy", NewerDependency, "@v")
	plug := filepath.Join(workDir, "plugin")
	modFile := "module " + NewerDependency + "\n\ngo 1.26\n"
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for name, text := range map[string]string{
		"go.mod": modFile,
		"fx.go":  "// Package fx stands in for go.uber.org/fx in a test.\npackage fx\n\nconst Version = \"1.24.99\"\n",
	} {
		w, err := zw.Create(NewerDependency + "@" + NewerDependencyVersion + "/" + name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	files := map[string]string{
		filepath.Join(proxy, "list"):                         NewerDependencyVersion + "\n",
		filepath.Join(proxy, NewerDependencyVersion+".info"): `{"Version":"` + NewerDependencyVersion + `"}`,
		filepath.Join(proxy, NewerDependencyVersion+".mod"):  modFile,
		filepath.Join(proxy, NewerDependencyVersion+".zip"):  zipped.String(),
		filepath.Join(plug, "go.mod"):                        "module example.com/newerdep\n\ngo 1.26\n\nrequire " + NewerDependency + " " + NewerDependencyVersion + "\n",
		filepath.Join(plug, "main.go"):                       "package main\n\nimport \"" + NewerDependency + "\"\n\nvar ExportedSignatures = fx.Version\n\nfunc main() {}\n",
	}
	if err := writeFiles(files); err != nil {
		return err
	}
	env := []string{"GOPROXY=file://" + filepath.Join(workDir, "proxy"), "GOSUMDB=off",
		"GOMODCACHE=" + filepath.Join(workDir, "modcache"), "GOFLAGS=-modcacherw -mod=mod"}
	return Build(plug, ".", out, flags, env)
}

// BuildOtherTypes builds into out the plugin in pluginSrc (a main.go) as a module of its own that
// replaces tracee by a copy of repoRoot/types with one more exported identifier in detect: Go
// refuses to open it ("different version of package").
func BuildOtherTypes(repoRoot, pluginSrc, workDir, out string, flags []string) error {
	copyRoot := filepath.Join(workDir, "tracee")
	plug := filepath.Join(workDir, "plugin")
	files := map[string]string{
		filepath.Join(copyRoot, "go.mod"):                "module github.com/seed-428f5ad7/tracee\n\ngo 1.26\n",
		filepath.Join(copyRoot, "types/detect/extra.go"): "package detect\n\n// Extra makes this copy differ from the original.\nconst Extra = 1\n",
		filepath.Join(plug, "go.mod"): "module example.com/othermodule\n\ngo 1.26\n\n" +
			"require github.com/seed-428f5ad7/tracee v0.0.0-00010101000000-000000000000\n\n" +
			"replace github.com/seed-428f5ad7/tracee => ../tracee\n",
	}
	for _, pkg := range []string{"detect", "protocol", "trace"} {
		src := filepath.Join(repoRoot, "types", pkg)
		entries, err := os.ReadDir(src)
		if err != nil {
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
			files[filepath.Join(copyRoot, "types", pkg, e.Name())] = string(b)
		}
	}
	src, err := os.ReadFile(pluginSrc)
	if err != nil {
		return err
	}
	files[filepath.Join(plug, "main.go")] = string(src)
	if err := writeFiles(files); err != nil {
		return err
	}
	return Build(plug, ".", out, append(flags, "-mod=mod"), nil)
}

func writeFiles(files map[string]string) error {
	for path, text := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
