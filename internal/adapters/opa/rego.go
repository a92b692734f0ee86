package opa

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// helpersSource is package tracee.helpers, the functions Tracee's Rego signatures imported.
//
//go:embed helpers.rego
var helpersSource string

const helpersFile = "tracee/helpers.rego"

func helpersModule() *ast.Module {
	m, err := ast.ParseModuleWithOpts(helpersFile, helpersSource, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		panic("embedded helpers.rego does not parse: " + err.Error()) // a build-time mistake
	}
	return m
}

var v1Hint = regexp.MustCompile(`(?m)^\s*import\s+rego\.v1\b|\bif\s*\{|\bcontains\b`)

// parseModule parses Rego v1, or Rego v0 (Tracee's historical signatures) when the file does not
// parse as v1 but does as v0. Errors name file:line:column and the cause.
func parseModule(file, src string) (*ast.Module, error) {
	m, errV1 := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if errV1 == nil {
		return m, nil
	}
	m, errV0 := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{RegoVersion: ast.RegoV0})
	if errV0 == nil {
		return m, nil
	}
	if v1Hint.MatchString(src) {
		return nil, regoError(errV1)
	}
	return nil, regoError(errV0)
}

// regoError renders OPA's errors as "file:line:col: cause" lines.
func regoError(err error) error {
	var errs ast.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return err
	}
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		pos := ""
		if e.Location != nil {
			pos = fmt.Sprintf("%s:%d:%d: ", e.Location.File, e.Location.Row, e.Location.Col)
		}
		lines = append(lines, pos+e.Message)
	}
	return errors.New(strings.Join(lines, "\n"))
}

var locPrefix = regexp.MustCompile(`^(.+?):(\d+):(\d+): `)

// causeIn rewrites "FILE:9:1: msg" lines about file as "line 9, column 1: msg", for problems
// that already name the file; lines about other files (libraries) keep their name.
func causeIn(file string, err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		if m := locPrefix.FindStringSubmatch(l); m != nil && m[1] == file {
			lines[i] = "line " + m[2] + ", column " + m[3] + ": " + l[len(m[0]):]
		}
	}
	return strings.Join(lines, "; ")
}

// compile compiles modules (keyed by file name) together with the helpers.
func compile(modules map[string]*ast.Module) (*ast.Compiler, error) {
	all := make(map[string]*ast.Module, len(modules)+1)
	for k, m := range modules {
		all[k] = m
	}
	hasHelpers := false
	for _, m := range modules {
		if m.Package.Path.String() == "data.tracee.helpers" {
			hasHelpers = true // Tracee's own helpers.rego copied next to its signatures
		}
	}
	if !hasHelpers {
		all[helpersFile] = helpersModule()
	}
	var refused []string
	for _, k := range sortedKeys(modules) {
		if err := checkBuiltins(modules[k]); err != nil {
			refused = append(refused, err.Error())
		}
	}
	if len(refused) > 0 {
		return nil, errors.New(strings.Join(refused, "\n"))
	}
	caps, _ := capabilities()
	c := ast.NewCompiler().WithStrict(false).WithCapabilities(caps)
	c.Compile(all)
	if c.Failed() {
		return nil, regoError(c.Errors)
	}
	return c, nil
}

// toGo converts a Rego value to Go values with integers as int (so that Severity properties
// read as numbers) and other numbers as float64.
func toGo(v ast.Value) (interface{}, error) {
	x, err := ast.JSON(v)
	if err != nil {
		return nil, err
	}
	return normalizeNumbers(x), nil
}

func normalizeNumbers(x interface{}) interface{} {
	switch t := x.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		f, _ := t.Float64()
		return f
	case map[string]interface{}:
		for k, v := range t {
			t[k] = normalizeNumbers(v)
		}
		return t
	case []interface{}:
		for i, v := range t {
			t[i] = normalizeNumbers(v)
		}
		return t
	}
	return x
}
