// Package architecture holds tests of the code's shape: which packages may import which.
package architecture

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/seed-428f5ad7/tracee"

// TestCoreImportsNoAdapterTechnology proves that the domain and the ports depend only on the
// standard library and the public types/ packages: no fx, eBPF, OPA, Elasticsearch or database.
func TestCoreImportsNoAdapterTechnology(t *testing.T) {
	for _, pkg := range []string{module + "/internal/domain", module + "/internal/ports"} {
		t.Run(strings.TrimPrefix(pkg, module+"/"), func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				allowed := dep == pkg ||
					strings.HasPrefix(dep, module+"/types/") ||
					strings.HasPrefix(dep, "github.com/aquasecurity/tracee/types/") || // the published signature API
					dep == module+"/internal/domain"
				if !allowed {
					t.Errorf("%s imports %s: the core may only import the standard library, %s/types and Tracee's published types module", pkg, dep, module)
				}
			}
		})
	}
}

// TestPublicTypesImportNothingInternal proves that the public types/ packages, which signature
// plugins built outside this repository import, depend on nothing under internal/: only the
// standard library, each other and Tracee's published types module; types/prefilter, this agent's
// own addition, on the standard library alone.
func TestPublicTypesImportNothingInternal(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		allowed []string // import path prefixes besides the standard library
	}{
		{"types", module + "/types/...", []string{module + "/types/", "github.com/aquasecurity/tracee/types/"}},
		{"types/prefilter", module + "/types/prefilter", []string{module + "/types/prefilter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", tt.pattern).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if !slices.ContainsFunc(tt.allowed, func(p string) bool { return strings.HasPrefix(dep, p) }) {
					t.Errorf("%s imports %s: public packages may only import the standard library and %s", tt.pattern, dep, strings.Join(tt.allowed, ", "))
				}
			}
		})
	}
}

// TestFxOnlyInAppWiringAndModules proves that go.uber.org/fx is imported only by the app's wiring
// (internal/app/wiring.go) and by adapters' module.go files, so every constructor stays usable
// without fx and cmd/ only maps flags onto the app's configuration.
func TestFxOnlyInAppWiringAndModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}|{{join .GoFiles ","}}|{{join .Imports ","}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 || !strings.Contains(parts[2], "go.uber.org/fx") {
			continue
		}
		pkg := parts[0]
		switch {
		case pkg == module+"/internal/app":
			checkFxOnlyIn(t, pkg, "wiring.go")
		case strings.HasPrefix(pkg, module+"/internal/adapters/"):
			checkFxOnlyIn(t, pkg, "module.go")
		default:
			t.Errorf("%s imports go.uber.org/fx: only internal/app/wiring.go and adapters' module.go may", pkg)
		}
	}
}

func checkFxOnlyIn(t *testing.T, pkg, allowed string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.Dir}}|{{join .GoFiles ","}}`, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	parts := strings.SplitN(strings.TrimSpace(string(out)), "|", 2)
	for _, f := range strings.Split(parts[1], ",") {
		if f == allowed {
			continue
		}
		grep := exec.Command("grep", "-l", `"go.uber.org/fx`, parts[0]+"/"+f)
		if grep.Run() == nil {
			t.Errorf("%s/%s imports fx: keep fx in %s", pkg, f, allowed)
		}
	}
}
