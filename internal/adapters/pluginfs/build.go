package pluginfs

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// BuildConfig says which plugin module to build and against which tracee.
type BuildConfig struct {
	// Dir is the plugin's module (the directory holding its go.mod and package main).
	Dir string
	// Output is the .so to write; default <base of Dir>.so in the current directory, as go build.
	Output string
	// Source is tracee's source tree, needed when the plugin imports this module's own path
	// (github.com/seed-428f5ad7/tracee/...): it is built in a go.work holding both.
	Source string
	// Host is the build info the plugin must match; default the running binary's.
	Host *debug.BuildInfo
	// Go is the go command; default "go" from PATH.
	Go string
}

// BuildReport is what Build did, for the user to read and repeat.
type BuildReport struct {
	GoVersion string
	Flags     []string // go build flags
	Env       []string // environment set for go build
	Pinned    []string // "module@version (was version)": shared modules moved to the host's version
	Workspace string   // the go.work used, when Source is set
	Output    string
	Warnings  []string
	// Problems are what the loader would still object to in the built plugin (should be none).
	Problems []string
}

// hostEnvSettings are build settings copied from the host to go build as environment.
var hostEnvSettings = []string{"GOEXPERIMENT", "GOAMD64", "GOARM64", "GOARM", "GO386"}

// Build compiles the plugin module in cfg.Dir so that this tracee can open it: the same Go
// version (else an error naming both), -buildmode=plugin, the host's -trimpath/-race/-msan/-asan,
// tags and CPU level, cgo on, and every module the host and the plugin share pinned to the host's
// version. The user's go.mod is never touched: the module is copied to a temporary directory.
func Build(ctx context.Context, cfg BuildConfig) (*BuildReport, error) {
	rep := &BuildReport{}
	if cfg.Go == "" {
		cfg.Go = "go"
	}
	host := cfg.Host
	if host == nil {
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return nil, errors.New("this tracee carries no build info: cannot tell what a plugin must match")
		}
		host = bi
	}
	if setting(host, "CGO_ENABLED") == "0" {
		return nil, errors.New("this tracee was built with CGO_ENABLED=0 and cannot load plugins: use a tracee built with cgo (make)")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	goVersion, err := goEnv(ctx, cfg.Go, dir, "GOVERSION")
	if err != nil {
		return nil, fmt.Errorf("run %s env GOVERSION: %w", cfg.Go, err)
	}
	if goVersion != host.GoVersion {
		return nil, fmt.Errorf("the go command is %s but this tracee was built with %s: plugins must be built by the same Go version; "+
			"install %s, or run `GOTOOLCHAIN=%s tracee signatures build ...` to let go fetch it", goVersion, host.GoVersion, host.GoVersion, host.GoVersion)
	}
	rep.GoVersion = goVersion

	plugMod, err := readModule(ctx, cfg.Go, dir)
	if err != nil {
		return nil, err
	}
	ownPath := host.Main.Path
	needsSource := ownPath != "" && slices.ContainsFunc(plugMod.Require, func(r modRequire) bool { return r.Path == ownPath })
	if needsSource && cfg.Source == "" {
		return nil, fmt.Errorf("the plugin requires %s (this tracee's own module): Go accepts it only when built from tracee's source at the revision "+
			"this binary was built from (%s): check it out and add --source DIR, or import github.com/aquasecurity/tracee/types/... instead",
			ownPath, describeRevision(host))
	}

	work, err := os.MkdirTemp("", "tracee-signatures-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	plugDir := filepath.Join(work, "plugin")
	if err := copyModule(dir, plugDir); err != nil {
		return nil, fmt.Errorf("copy %s: %w", dir, err)
	}

	// -mod=mod lets go record missing requirements of a fresh plugin module; a workspace refuses it.
	goflags, gowork := "-mod=mod", "off"
	if cfg.Source != "" {
		src, err := filepath.Abs(cfg.Source)
		if err != nil {
			return nil, err
		}
		rep.Warnings = append(rep.Warnings, checkSourceRevision(ctx, src, host)...)
		// The workspace provides tracee: a require of it (at a version no proxy has) or a replace
		// would make go look elsewhere.
		if err := runGo(ctx, cfg.Go, plugDir, nil, "mod", "edit", "-dropreplace="+ownPath, "-droprequire="+ownPath); err != nil {
			return nil, err
		}
		goWork := filepath.Join(work, "go.work")
		text := fmt.Sprintf("go %s\n\nuse (\n\t%s\n\t%s\n)\n", strings.TrimPrefix(host.GoVersion, "go"), plugDir, src)
		if err := os.WriteFile(goWork, []byte(text), 0o644); err != nil {
			return nil, err
		}
		goflags, gowork = "", goWork
		rep.Workspace = fmt.Sprintf("go.work using %s and %s", dir, src)
	}

	env := []string{"CGO_ENABLED=1", "GOFLAGS=" + goflags, "GOWORK=" + gowork}
	for _, key := range hostEnvSettings {
		if v := setting(host, key); v != "" {
			env = append(env, key+"="+v)
		}
	}
	pins, err := sharedModulePins(ctx, cfg.Go, plugDir, env, host)
	if err != nil {
		return nil, err
	}
	if len(pins) > 0 {
		args := []string{"get"}
		if cfg.Source != "" { // go get needs a single module; in a workspace the requirement is edited
			args = []string{"mod", "edit"}
		}
		for _, p := range pins {
			if cfg.Source != "" {
				args = append(args, "-require="+p.path+"@"+p.version)
			} else {
				args = append(args, p.path+"@"+p.version)
			}
			rep.Pinned = append(rep.Pinned, fmt.Sprintf("%s@%s (plugin had %s)", p.path, p.version, p.was))
		}
		if err := runGo(ctx, cfg.Go, plugDir, env, args...); err != nil {
			return nil, fmt.Errorf("pin the modules shared with tracee: %w", err)
		}
	}

	out := cfg.Output
	if out == "" {
		out = filepath.Base(dir) + ".so"
	}
	if out, err = filepath.Abs(out); err != nil {
		return nil, err
	}
	rep.Output = out
	rep.Flags = buildFlags(host)
	rep.Env = env
	args := append(append([]string{"build"}, rep.Flags...), "-o", out, ".")
	if err := runGo(ctx, cfg.Go, plugDir, env, args...); err != nil {
		return nil, err
	}
	if bi, err := buildinfo.ReadFile(out); err == nil {
		for _, m := range compareBuilds(host, bi) {
			rep.Problems = append(rep.Problems, m.Cause)
		}
	}
	return rep, nil
}

// buildFlags are the go build flags a plugin needs to match host.
func buildFlags(host *debug.BuildInfo) []string {
	flags := []string{"-buildmode=plugin"}
	for _, key := range []string{"-trimpath", "-race", "-msan", "-asan"} {
		if setting(host, key) == "true" {
			flags = append(flags, key)
		}
	}
	for _, key := range []string{"-tags", "-gcflags", "-asmflags"} {
		if v := setting(host, key); v != "" {
			flags = append(flags, key+"="+v)
		}
	}
	return flags
}

type modRequire struct {
	Path    string
	Version string
}

type goMod struct {
	Module  struct{ Path string }
	Require []modRequire
}

func readModule(ctx context.Context, goCmd, dir string) (*goMod, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, fmt.Errorf("%s has no go.mod: a plugin is built as a module of its own (cd %s && go mod init example.com/mysignatures)", dir, dir)
	}
	cmd := exec.CommandContext(ctx, goCmd, "mod", "edit", "-json")
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("read %s/go.mod: %w", dir, exitText(err))
	}
	var m goMod
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read %s/go.mod: %w", dir, err)
	}
	return &m, nil
}

type pin struct{ path, version, was string }

// sharedModulePins lists the modules of the plugin's build list that the host was built with at
// another version. The host's own module and directory replacements have no version to pin.
func sharedModulePins(ctx context.Context, goCmd, dir string, env []string, host *debug.BuildInfo) ([]pin, error) {
	cmd := exec.CommandContext(ctx, goCmd, "list", "-m", "-json", "all")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m all in the plugin's module: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	hostMods := modules(host)
	var pins []pin
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var m struct {
			Path    string
			Version string
			Main    bool
		}
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		hv, shared := hostMods[m.Path]
		if m.Main || !shared || hv.Local || m.Version == "" || hv.Version == m.Version {
			continue
		}
		pins = append(pins, pin{path: m.Path, version: hv.Version, was: m.Version})
	}
	return pins, nil
}

// checkSourceRevision warns when the source tree is not what the host was built from.
func checkSourceRevision(ctx context.Context, src string, host *debug.BuildInfo) []string {
	want := setting(host, "vcs.revision")
	if want == "" {
		return []string{"this tracee records no vcs.revision: cannot check that " + src + " is the source it was built from"}
	}
	var warns []string
	if setting(host, "vcs.modified") == "true" {
		warns = append(warns, "this tracee was built from a modified tree at "+want+": the plugin loads only if "+src+" has the same changes")
	}
	cmd := exec.CommandContext(ctx, "git", "-C", src, "rev-parse", "HEAD")
	b, err := cmd.Output()
	if err != nil {
		return append(warns, "cannot read the git revision of "+src+": make sure it is tracee's source at "+want)
	}
	if got := strings.TrimSpace(string(b)); got != want {
		warns = append(warns, fmt.Sprintf("%s is at revision %s but this tracee was built from %s: the plugin will not load unless the types packages are identical (git -C %s checkout %s)",
			src, got, want, src, want))
	}
	return warns
}

func describeRevision(host *debug.BuildInfo) string {
	rev := setting(host, "vcs.revision")
	if rev == "" {
		return "unrecorded: see `tracee version`"
	}
	if setting(host, "vcs.modified") == "true" {
		rev += ", with uncommitted changes"
	}
	return "vcs.revision " + rev
}

// copyModule copies a plugin module's files, leaving out VCS metadata and built plugins.
func copyModule(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		target := filepath.Join(to, rel)
		switch {
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "vendor") && path != from:
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".so"):
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func goEnv(ctx context.Context, goCmd, dir, key string) (string, error) {
	cmd := exec.CommandContext(ctx, goCmd, "env", key)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return "", exitText(err)
	}
	return strings.TrimSpace(string(b)), nil
}

func runGo(ctx context.Context, goCmd, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", goCmd, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func exitText(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}
