package pluginfs

import (
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
)

// comparedSettings are the build settings that must be equal in tracee and a plugin: any of them
// changes the compiled form of shared packages, and Go refuses (or worse, crashes) on a mismatch.
var comparedSettings = []struct{ key, flag string }{
	{"-compiler", "-compiler"},
	{"-trimpath", "-trimpath"},
	{"-race", "-race"},
	{"-msan", "-msan"},
	{"-asan", "-asan"},
	{"CGO_ENABLED", "CGO_ENABLED"},
	{"GOOS", "GOOS"},
	{"GOARCH", "GOARCH"},
	{"GOEXPERIMENT", "GOEXPERIMENT"},
}

// settingDefaults are the values a setting has when the build info does not record it.
var settingDefaults = map[string]string{"-trimpath": "false", "-race": "false", "-msan": "false", "-asan": "false"}

// mismatch is one difference between the host and a plugin, in words a user can act on.
type mismatch struct {
	Cause string
	Fix   string
}

func setting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return settingDefaults[key]
}

// compareBuilds lists what makes a plugin incompatible with the host, judged from their embedded
// build info before the plugin is opened. An empty list does not guarantee the plugin opens: module
// versions that cannot be compared (devel builds, local replacements) are left to Go's own check.
func compareBuilds(host, plug *debug.BuildInfo) []mismatch {
	var out []mismatch
	if mode := setting(plug, "-buildmode"); mode != "plugin" {
		if mode == "" {
			mode = "unknown"
		}
		out = append(out, mismatch{
			Cause: fmt.Sprintf("is a Go binary built with -buildmode=%s, not a plugin", mode),
			Fix:   "build it with go build -buildmode=plugin, or move it out of the signatures directory",
		})
		return out
	}
	if host.GoVersion != plug.GoVersion {
		out = append(out, mismatch{
			Cause: fmt.Sprintf("built with %s, this tracee with %s", plug.GoVersion, host.GoVersion),
			Fix:   fmt.Sprintf("rebuild the plugin with %s (see `tracee version`)", host.GoVersion),
		})
	}
	for _, s := range comparedSettings {
		hv, pv := setting(host, s.key), setting(plug, s.key)
		if hv == pv {
			continue
		}
		out = append(out, mismatch{
			Cause: fmt.Sprintf("built with %s=%s, this tracee with %s=%s", s.flag, orNone(pv), s.flag, orNone(hv)),
			Fix:   "rebuild the plugin with " + buildFlagAdvice(s.key, hv),
		})
	}
	out = append(out, compareModules(host, plug)...)
	return out
}

func orNone(v string) string {
	if v == "" {
		return "(unset)"
	}
	return v
}

func buildFlagAdvice(key, want string) string {
	switch key {
	case "-trimpath", "-race", "-msan", "-asan":
		if want == "true" {
			return key
		}
		return "no " + key + " flag"
	case "CGO_ENABLED", "GOOS", "GOARCH", "GOEXPERIMENT":
		return key + "=" + orNone(want)
	default:
		return key + "=" + orNone(want)
	}
}

// moduleVersion is a module as it was actually built: a replacement wins over the required version.
type moduleVersion struct {
	Version string
	Sum     string
	// Local is true for the main module and directory replacements: no version to compare.
	Local bool
	Text  string
	// Replace is the module a go.mod replace directive put in its place ("" if none).
	Replace string
}

func modules(bi *debug.BuildInfo) map[string]moduleVersion {
	m := make(map[string]moduleVersion, len(bi.Deps)+1)
	if bi.Main.Path != "" {
		m[bi.Main.Path] = describe(&bi.Main, true)
	}
	for _, d := range bi.Deps {
		m[d.Path] = describe(d, false)
	}
	return m
}

func describe(mod *debug.Module, main bool) moduleVersion {
	if r := mod.Replace; r != nil {
		if r.Version == "" || r.Version == "(devel)" { // replaced by a directory
			return moduleVersion{Local: true, Text: fmt.Sprintf("%s => %s", orDevel(mod.Version), r.Path)}
		}
		return moduleVersion{Version: r.Version, Sum: r.Sum, Text: fmt.Sprintf("%s => %s %s", orDevel(mod.Version), r.Path, r.Version),
			Replace: r.Path}
	}
	v := orDevel(mod.Version)
	return moduleVersion{Version: v, Sum: mod.Sum, Local: main || v == "(devel)", Text: v}
}

func orDevel(v string) string {
	if v == "" {
		return "(devel)"
	}
	return v
}

// compareModules names every module both sides were built with at different versions.
func compareModules(host, plug *debug.BuildInfo) []mismatch {
	hostMods := modules(host)
	plugMods := modules(plug)
	var out []mismatch
	for _, path := range slices.Sorted(maps.Keys(plugMods)) {
		pv := plugMods[path]
		hv, shared := hostMods[path]
		if !shared || hv.Local || pv.Local {
			continue
		}
		if hv.Version == pv.Version && (hv.Sum == "" || pv.Sum == "" || hv.Sum == pv.Sum) {
			continue
		}
		cause := fmt.Sprintf("built against %s %s, this tracee has %s %s", path, pv.Text, path, hv.Text)
		if hv.Version == pv.Version {
			cause = fmt.Sprintf("built against %s %s with checksum %s, this tracee has checksum %s", path, pv.Version, pv.Sum, hv.Sum)
		}
		fix := fmt.Sprintf("in the plugin's module run `go get %s@%s` and rebuild it, or let `%s` pin it (or rebuild tracee against %s)",
			path, hv.Version, buildCommand, pv.Version)
		if pv.Replace != "" && hv.Replace == "" {
			// go get cannot move a version that a replace directive pins
			fix = fmt.Sprintf("the plugin's go.mod replaces %s with %s %s: change that replace directive to %s %s "+
				"(or drop it), then rebuild the plugin", path, pv.Replace, pv.Version, path, hv.Version)
		}
		out = append(out, mismatch{Cause: cause, Fix: fix})
	}
	return out
}

// explainOpenError turns Go's terse plugin.Open message into a cause and fix, naming both
// versions of the package when the build infos can tell them.
func explainOpenError(msg string, host, plug *debug.BuildInfo) mismatch {
	const diff = "plugin was built with a different version of package "
	if i := strings.Index(msg, diff); i >= 0 {
		pkg := strings.TrimSpace(msg[i+len(diff):])
		return explainDifferentPackage(pkg, host, plug)
	}
	if strings.Contains(msg, "plugin already loaded") {
		return mismatch{Cause: "a plugin built from the same main package is already loaded (a copy of another .so?)",
			Fix: "keep one copy of the plugin, or give each plugin its own main package"}
	}
	if strings.Contains(msg, "not implemented") {
		return mismatch{Cause: "this tracee cannot load plugins (built without cgo)",
			Fix: "use a tracee built with CGO_ENABLED=1 (make)"}
	}
	return mismatch{Cause: "cannot be opened as a Go plugin: " + msg,
		Fix: "rebuild the plugin with `" + buildCommand + "` (the Go version, module versions and flags of this tracee)"}
}

// buildCommand is the command that builds a plugin the way this tracee needs.
const buildCommand = "tracee signatures build DIR"

// explainDifferentPackage names why Go saw two versions of pkg: a directory replacement of this
// tracee's own module (recorded as module@version under -trimpath, while the host's main module is
// not), another module version, or another Go version.
func explainDifferentPackage(pkg string, host, plug *debug.BuildInfo) mismatch {
	cause := "built with a different version of package " + pkg
	fix := "rebuild it with `" + buildCommand + "` (same Go version, flags and module versions as this tracee)"
	if host == nil || plug == nil {
		return mismatch{Cause: cause, Fix: fix}
	}
	path, hv, pv, ok := moduleOfPackage(pkg, host, plug)
	switch {
	case ok && path == host.Main.Path && pv.Local:
		cause += fmt.Sprintf(": the plugin takes module %s from a directory (%s) while it is this tracee's main module", path, pv.Text)
		if setting(host, "-trimpath") == "true" {
			cause += fmt.Sprintf("; with -trimpath Go records the plugin's copy as %s@version and tracee's without a version, "+
				"so they never match, even from identical source", path)
		} else {
			cause += "; that directory is not the source this tracee was built from"
		}
		fix = fmt.Sprintf("import github.com/aquasecurity/tracee/types/... instead of %s/types/... and run `%s`; "+
			"or keep the import and run `%s --source TRACEE_SOURCE` with tracee's source at the revision of this binary (a go.work holding both)",
			path, buildCommand, buildCommand)
	case ok && path == host.Main.Path:
		cause += fmt.Sprintf(": the plugin was built against %s %s, this tracee is that module's own build", path, pv.Text)
		fix = fmt.Sprintf("run `%s --source TRACEE_SOURCE` with tracee's source at the revision of this binary", buildCommand)
	case ok:
		cause += fmt.Sprintf(" (module %s: plugin %s, tracee %s)", path, pv.Text, hv.Text)
		fix = fmt.Sprintf("run `%s`: it pins %s and every other module shared with tracee to tracee's version", buildCommand, path)
	case !strings.Contains(pkg, "."):
		cause += fmt.Sprintf(" (standard library: plugin %s, tracee %s)", plug.GoVersion, host.GoVersion)
		fix = fmt.Sprintf("rebuild it with %s and the same flags as this tracee: `%s`", host.GoVersion, buildCommand)
	}
	return mismatch{Cause: cause, Fix: fix}
}

// moduleOfPackage finds the plugin's module providing pkg (the longest module path prefixing it)
// and the host's version of that module, "unknown" when the host's build info does not list it.
func moduleOfPackage(pkg string, host, plug *debug.BuildInfo) (string, moduleVersion, moduleVersion, bool) {
	hostMods, plugMods := modules(host), modules(plug)
	best := ""
	for path := range plugMods {
		if (pkg == path || strings.HasPrefix(pkg, path+"/")) && len(path) > len(best) {
			best = path
		}
	}
	if best == "" {
		return "", moduleVersion{}, moduleVersion{}, false
	}
	hv, ok := hostMods[best]
	if !ok {
		hv = moduleVersion{Text: "unknown"}
	}
	return best, hv, plugMods[best], true
}
