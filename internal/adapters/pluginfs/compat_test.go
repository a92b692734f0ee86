package pluginfs

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func buildInfo(goVersion string, settings map[string]string, deps ...*debug.Module) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: goVersion, Main: debug.Module{Path: "github.com/seed-428f5ad7/tracee", Version: "(devel)"}, Deps: deps}
	for k, v := range map[string]string{"-buildmode": "exe", "-compiler": "gc", "CGO_ENABLED": "1", "GOOS": "linux", "GOARCH": "amd64", "-trimpath": "true"} {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
	}
	for k, v := range settings {
		for i := range bi.Settings {
			if bi.Settings[i].Key == k {
				bi.Settings[i].Value = v
				k = ""
			}
		}
		if k != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
		}
	}
	return bi
}

func mod(path, version string) *debug.Module { return &debug.Module{Path: path, Version: version} }

func TestCompareBuilds(t *testing.T) {
	host := buildInfo("go1.26.8", nil, mod("github.com/spf13/cobra", "v1.10.2"), mod("golang.org/x/sys", "v0.49.0"))
	plugin := map[string]string{"-buildmode": "plugin"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"-buildmode": "plugin"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		plugin *debug.BuildInfo
		causes []string // substrings, one per expected mismatch, in order
		fixes  []string
	}{
		{name: "identical build", plugin: buildInfo("go1.26.8", plugin, mod("golang.org/x/sys", "v0.49.0"))},
		{name: "module only the plugin uses", plugin: buildInfo("go1.26.8", plugin, mod("example.com/only", "v1.0.0"))},
		{
			name:   "not a plugin",
			plugin: buildInfo("go1.26.8", nil),
			causes: []string{"is a Go binary built with -buildmode=exe, not a plugin"},
			fixes:  []string{"go build -buildmode=plugin"},
		},
		{
			name:   "other Go version",
			plugin: buildInfo("go1.25.3", plugin),
			causes: []string{"built with go1.25.3, this tracee with go1.26.8"},
			fixes:  []string{"rebuild the plugin with go1.26.8"},
		},
		{
			name:   "without -trimpath",
			plugin: buildInfo("go1.26.8", with(map[string]string{"-trimpath": "false"})),
			causes: []string{"built with -trimpath=false, this tracee with -trimpath=true"},
			fixes:  []string{"rebuild the plugin with -trimpath"},
		},
		{
			name:   "with -race",
			plugin: buildInfo("go1.26.8", with(map[string]string{"-race": "true"})),
			causes: []string{"built with -race=true, this tracee with -race=false"},
			fixes:  []string{"rebuild the plugin with no -race flag"},
		},
		{
			name:   "other cgo setting and architecture",
			plugin: buildInfo("go1.26.8", with(map[string]string{"CGO_ENABLED": "0", "GOARCH": "arm64"})),
			causes: []string{"built with CGO_ENABLED=0, this tracee with CGO_ENABLED=1", "built with GOARCH=arm64, this tracee with GOARCH=amd64"},
			fixes:  []string{"CGO_ENABLED=1", "GOARCH=amd64"},
		},
		{
			name:   "other version of a shared module names the module and both versions",
			plugin: buildInfo("go1.26.8", plugin, mod("golang.org/x/sys", "v0.40.0"), mod("github.com/spf13/cobra", "v1.10.2")),
			causes: []string{"built against golang.org/x/sys v0.40.0, this tracee has golang.org/x/sys v0.49.0"},
			fixes:  []string{"go get golang.org/x/sys@v0.49.0"},
		},
		{
			name:   "same version, other checksum",
			plugin: buildInfo("go1.26.8", plugin, &debug.Module{Path: "golang.org/x/sys", Version: "v0.49.0", Sum: "h1:plugin="}),
			causes: nil, // the host records no checksum here: nothing to compare
		},
		{
			name: "replaced by another version",
			plugin: buildInfo("go1.26.8", plugin, &debug.Module{Path: "golang.org/x/sys", Version: "v0.49.0",
				Replace: &debug.Module{Path: "example.com/sysfork", Version: "v0.1.0"}}),
			causes: []string{"built against golang.org/x/sys v0.49.0 => example.com/sysfork v0.1.0, this tracee has golang.org/x/sys v0.49.0"},
			fixes:  []string{"the plugin's go.mod replaces golang.org/x/sys with example.com/sysfork v0.1.0: change that replace directive to golang.org/x/sys v0.49.0"},
		},
		{
			name: "a replace pinning another version: go get would not help",
			plugin: buildInfo("go1.26.8", plugin, &debug.Module{Path: "golang.org/x/sys", Version: "v0.49.0",
				Replace: &debug.Module{Path: "golang.org/x/sys", Version: "v0.40.0"}}),
			causes: []string{"built against golang.org/x/sys v0.49.0 => golang.org/x/sys v0.40.0"},
			fixes:  []string{"replaces golang.org/x/sys with golang.org/x/sys v0.40.0: change that replace directive to golang.org/x/sys v0.49.0"},
		},
		{
			name: "replaced by a directory: left to Go's own check",
			plugin: buildInfo("go1.26.8", plugin, &debug.Module{Path: "golang.org/x/sys", Version: "v0.49.0",
				Replace: &debug.Module{Path: "../sys", Version: "(devel)"}}),
		},
		{
			name:   "host module in devel: left to Go's own check",
			plugin: buildInfo("go1.26.8", plugin, mod("github.com/seed-428f5ad7/tracee", "v0.3.0")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compareBuilds(host, tt.plugin)
			if len(got) != len(tt.causes) {
				t.Fatalf("got %d mismatches %+v, want %d", len(got), got, len(tt.causes))
			}
			for i, m := range got {
				if !strings.Contains(m.Cause, tt.causes[i]) {
					t.Errorf("cause %q does not contain %q", m.Cause, tt.causes[i])
				}
				if i < len(tt.fixes) && !strings.Contains(m.Fix, tt.fixes[i]) {
					t.Errorf("fix %q does not contain %q", m.Fix, tt.fixes[i])
				}
			}
		})
	}
}

func TestExplainOpenError_replaced_tracee_module_names_the_real_cause(t *testing.T) {
	host := buildInfo("go1.26.8", nil)
	plug := buildInfo("go1.26.8", map[string]string{"-buildmode": "plugin"}, &debug.Module{Path: "github.com/seed-428f5ad7/tracee",
		Version: "v0.0.0-00010101000000-000000000000", Replace: &debug.Module{Path: "../tracee"}})
	plug.Main = debug.Module{Path: "example.com/mysigs", Version: "(devel)"}
	m := explainOpenError(`plugin.Open("x.so"): plugin was built with a different version of package github.com/seed-428f5ad7/tracee/types/trace`, host, plug)
	assert.Contains(t, m.Cause, "takes module github.com/seed-428f5ad7/tracee from a directory (v0.0.0-00010101000000-000000000000 => ../tracee) while it is this tracee's main module")
	assert.Contains(t, m.Cause, "with -trimpath Go records the plugin's copy as github.com/seed-428f5ad7/tracee@version")
	assert.Contains(t, m.Fix, "import github.com/aquasecurity/tracee/types/... instead")
	assert.Contains(t, m.Fix, "`tracee signatures build DIR --source TRACEE_SOURCE`")
}

func TestExplainOpenError(t *testing.T) {
	host := buildInfo("go1.26.8", nil, mod("golang.org/x/sys", "v0.49.0"))
	plug := buildInfo("go1.26.8", map[string]string{"-buildmode": "plugin"}, mod("golang.org/x/sys", "v0.40.0"), mod("example.com/only", "v1.0.0"))
	tests := []struct {
		name, msg, cause, fix string
	}{
		{
			name:  "package of a shared module",
			msg:   `plugin.Open("x.so"): plugin was built with a different version of package golang.org/x/sys/unix`,
			cause: "built with a different version of package golang.org/x/sys/unix (module golang.org/x/sys: plugin v0.40.0, tracee v0.49.0)",
			fix:   "run `tracee signatures build DIR`: it pins golang.org/x/sys and every other module shared with tracee",
		},
		{
			name:  "module the host's build info does not list",
			msg:   `plugin.Open("x.so"): plugin was built with a different version of package example.com/only/pkg`,
			cause: "(module example.com/only: plugin v1.0.0, tracee unknown)",
		},
		{
			name:  "standard library package",
			msg:   `plugin.Open("x.so"): plugin was built with a different version of package internal/abi`,
			cause: "(standard library: plugin go1.26.8, tracee go1.26.8)",
		},
		{
			name:  "already loaded",
			msg:   `plugin.Open("x.so"): plugin already loaded`,
			cause: "already loaded",
			fix:   "keep one copy",
		},
		{
			name:  "stub plugin package",
			msg:   "plugin: not implemented",
			cause: "built without cgo",
			fix:   "CGO_ENABLED=1",
		},
		{
			name:  "anything else keeps Go's message",
			msg:   `plugin.Open("x"): x.so: cannot open shared object file`,
			cause: "cannot be opened as a Go plugin: plugin.Open(\"x\"): x.so: cannot open shared object file",
			fix:   "tracee signatures build DIR",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := explainOpenError(tt.msg, host, plug)
			if !strings.Contains(m.Cause, tt.cause) || !strings.Contains(m.Fix, tt.fix) {
				t.Errorf("got %+v, want cause ~%q fix ~%q", m, tt.cause, tt.fix)
			}
		})
	}
}

func TestPluginSupport(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name    string
		cgo     bool
		goos    string
		bi      *debug.BuildInfo
		dynamic *bool
		cause   string // "" when plugins are supported
	}{
		{name: "cgo, dynamic, linux", cgo: true, goos: "linux", bi: buildInfo("go1.26.8", nil), dynamic: &yes},
		{name: "unknown linkage is given the benefit of the doubt", cgo: true, goos: "linux"},
		{name: "no cgo", cgo: false, goos: "linux", cause: "built without cgo (CGO_ENABLED=0)"},
		{name: "build info says CGO_ENABLED=0", cgo: true, goos: "linux", bi: buildInfo("go1.26.8", map[string]string{"CGO_ENABLED": "0"}), cause: "built without cgo"},
		{name: "static binary", cgo: true, goos: "linux", dynamic: &no, cause: "statically linked"},
		{name: "unsupported OS", cgo: true, goos: "windows", cause: "not windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pluginSupport(tt.cgo, tt.goos, tt.bi, tt.dynamic)
			switch {
			case tt.cause == "" && m != nil:
				t.Errorf("unexpected %+v", m)
			case tt.cause != "" && (m == nil || !strings.Contains(m.Cause, tt.cause) || m.Fix == ""):
				t.Errorf("got %+v, want cause ~%q", m, tt.cause)
			}
		})
	}
}
