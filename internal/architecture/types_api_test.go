package architecture

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestTypesReexportTraceeAPI: every exported name of every package of Tracee's published
// signature API module is also exported by this module's types/ package of the same name, so a
// signature written against either import path compiles against the other.
func TestTypesReexportTraceeAPI(t *testing.T) {
	for _, pkg := range []string{"detect", "protocol", "trace", "datasource"} {
		t.Run(pkg, func(t *testing.T) {
			theirs := exportedNames(t, goListDir(t, "github.com/aquasecurity/tracee/types/"+pkg))
			ours := exportedNames(t, goListDir(t, module+"/types/"+pkg))
			if len(theirs) == 0 {
				t.Fatal("the published package exports nothing: wrong directory?")
			}
			var missing []string
			for name := range theirs {
				if !ours[name] {
					missing = append(missing, name)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("types/%s lacks %d exported names of Tracee's: %s (regenerate: go run ./internal/tools/typesalias)",
					pkg, len(missing), strings.Join(missing, ", "))
			}
		})
	}
}

func goListDir(t *testing.T, importPath string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", importPath).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", importPath, err, out)
	}
	return strings.TrimSpace(string(out))
}

// exportedNames lists the exported top-level names declared in dir's non-test files.
func exportedNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names
}
