// Command eventgen turns Tracee v0.24.1's event definitions (pkg/events/core.go, the x86-64
// syscall numbers of pkg/events/core_amd64.go and the probe table of pkg/ebpf/probes) into a Go
// table of domain.TraceeEvent rows. It reads Tracee's source with go/parser only: no type checking,
// no import of Tracee's packages.
//
// With -tracefs it also adds, marked KernelOnly, every syscall the running kernel traces
// (events/syscalls/sys_enter_*/format) that Tracee does not define. Their numbers come from
// /usr/include/x86_64-linux-gnu/asm/unistd_64.h and golang.org/x/sys's zsysnum_linux_amd64.go
// (the version go.mod requires); a syscall found in neither is left out and reported on stderr.
//
// Usage (from internal/domain): go run ../tools/eventgen -tracefs /sys/kernel/tracing -o events_gen.go
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// TraceeModule and TraceeVersion name the Tracee release the table describes.
const (
	TraceeModule  = "github.com/aquasecurity/tracee"
	TraceeVersion = "v0.24.1"
	xsysModule    = "golang.org/x/sys"
	unistdHeader  = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
)

// Event is one generated row; it mirrors domain.TraceeEvent.
type Event struct {
	ID         int
	Name       string
	Syscall    bool
	KernelOnly bool
	Sets       []string
	Params     []Param
	Probes     []Probe
}

// Param mirrors domain.TraceeParam.
type Param struct{ Name, Type, Decode string }

// Probe mirrors domain.TraceeProbe.
type Probe struct {
	Handle   string
	Kind     string
	Target   string
	Required bool
}

// Options select the inputs of Generate.
type Options struct {
	Src     string // Tracee's source root
	Tracefs string // tracefs mount point; empty: no kernel-only rows
	// SysnumFiles are the sources of x86-64 syscall numbers for kernel-only rows: C headers
	// (#define __NR_x n) or Go files (SYS_X = n). Missing files are skipped.
	SysnumFiles []string
}

// Result is what Generate found.
type Result struct {
	Events        []Event
	KernelRelease string   // set when Options.Tracefs was used
	NoNumber      []string // tracefs syscalls left out: no reliable number
	SysnumUsed    []string // the number sources actually read
}

func main() {
	src := flag.String("src", "", "Tracee "+TraceeVersion+" source directory (default: go mod download)")
	out := flag.String("o", "events_gen.go", "output file")
	tracefs := flag.String("tracefs", "", "tracefs mount point (e.g. /sys/kernel/tracing): add the kernel's syscalls Tracee lacks")
	xsys := flag.String("xsys", "", "golang.org/x/sys source directory (default: the version go.mod requires, via go mod download)")
	flag.Parse()
	if err := run(*src, *out, *tracefs, *xsys); err != nil {
		fmt.Fprintln(os.Stderr, "eventgen:", err)
		os.Exit(1)
	}
}

func run(src, out, tracefs, xsys string) error {
	if src == "" {
		dir, err := DownloadTracee()
		if err != nil {
			return err
		}
		src = dir
	}
	opts := Options{Src: src, Tracefs: tracefs}
	if tracefs != "" {
		if xsys == "" {
			dir, err := DownloadXSys()
			if err != nil {
				return err
			}
			xsys = dir
		}
		opts.SysnumFiles = []string{unistdHeader, filepath.Join(xsys, "unix", "zsysnum_linux_amd64.go")}
	}
	res, err := Generate(opts)
	if err != nil {
		return err
	}
	for _, n := range res.NoNumber {
		fmt.Fprintf(os.Stderr, "eventgen: left out kernel syscall %s: no syscall number in %s\n", n, strings.Join(opts.SysnumFiles, ", "))
	}
	code, err := Render(res)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, code, 0o644); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// DownloadTracee returns the directory of Tracee's source in the module cache, downloading it if needed.
func DownloadTracee() (string, error) {
	return goModDownload(TraceeModule + "@" + TraceeVersion)
}

// DownloadXSys returns the source directory of the golang.org/x/sys version go.mod requires.
func DownloadXSys() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", xsysModule)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	v, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w: %s", xsysModule, err, strings.TrimSpace(stderr.String()))
	}
	return goModDownload(xsysModule + "@" + strings.TrimSpace(string(v)))
}

func goModDownload(query string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", query)
	cmd.Dir = os.TempDir() // outside the module: never touches go.mod or go.sum
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("go mod download %s: %w: %s", query, runErr, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("go mod download %s: decode output: %w", query, err)
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", query, info.Error)
	}
	if runErr != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no source directory (%v): %s", query, runErr, strings.TrimSpace(stderr.String()))
	}
	return info.Dir, nil
}

// Generate reads Tracee's definitions (and the kernel's, with Options.Tracefs) into rows sorted by ID.
func Generate(opts Options) (*Result, error) {
	evDir := filepath.Join(opts.Src, "pkg", "events")
	prog := newProgram(opts.Src)
	core, err := prog.parseFile(filepath.Join(evDir, "core.go"))
	if err != nil {
		return nil, err
	}
	amd64, err := prog.parseFile(filepath.Join(evDir, "core_amd64.go"))
	if err != nil {
		return nil, err
	}
	ids := newConsts()
	ids.addFile(core)
	ids.addFile(amd64)

	probeKinds, err := readProbes(prog, filepath.Join(opts.Src, "pkg", "ebpf", "probes", "probe_group.go"))
	if err != nil {
		return nil, err
	}
	events, err := readCoreEvents(prog, core, ids, probeKinds)
	if err != nil {
		return nil, err
	}
	res := &Result{Events: events}
	if opts.Tracefs != "" {
		if err := addKernelOnly(res, opts); err != nil {
			return nil, err
		}
	}
	sortEvents(res.Events)
	return res, nil
}

func sortEvents(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.KernelOnly != b.KernelOnly {
			return !a.KernelOnly
		}
		return a.Name < b.Name
	})
}

//
// Parsing and constant evaluation
//

type program struct {
	root  string
	fset  *token.FileSet
	pkgs  map[string]map[string]ast.Expr // import path -> string constants (lazily parsed)
	files map[string]*ast.File
}

func newProgram(root string) *program {
	return &program{root: root, fset: token.NewFileSet(), pkgs: map[string]map[string]ast.Expr{}, files: map[string]*ast.File{}}
}

func (p *program) parseFile(path string) (*ast.File, error) {
	if f, ok := p.files[path]; ok {
		return f, nil
	}
	f, err := parser.ParseFile(p.fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	p.files[path] = f
	return f, nil
}

func (p *program) pos(n ast.Node) string {
	pos := p.fset.Position(n.Pos())
	rel, err := filepath.Rel(p.root, pos.Filename)
	if err != nil {
		rel = pos.Filename
	}
	return fmt.Sprintf("%s:%d", rel, pos.Line)
}

// importedConst resolves pkg.Name where pkg is an import of file that lives in Tracee's module.
func (p *program) importedConst(file *ast.File, sel *ast.SelectorExpr) (ast.Expr, error) {
	pkgIdent, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported selector %s", p.pos(sel), exprString(sel))
	}
	var path string
	for _, imp := range file.Imports {
		ip, _ := strconv.Unquote(imp.Path.Value)
		name := filepath.Base(ip)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == pkgIdent.Name {
			path = ip
		}
	}
	if !strings.HasPrefix(path, TraceeModule+"/") {
		return nil, fmt.Errorf("%s: %s is not a package of %s", p.pos(sel), pkgIdent.Name, TraceeModule)
	}
	consts, ok := p.pkgs[path]
	if !ok {
		dir := filepath.Join(p.root, filepath.FromSlash(strings.TrimPrefix(path, TraceeModule+"/")))
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("read package %s: %w", path, err)
		}
		consts = map[string]ast.Expr{}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := p.parseFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							consts[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
		p.pkgs[path] = consts
	}
	v, ok := consts[sel.Sel.Name]
	if !ok {
		return nil, fmt.Errorf("%s: constant %s not found in %s", p.pos(sel), sel.Sel.Name, path)
	}
	return v, nil
}

// stringValue evaluates a string literal or a string constant of another Tracee package.
func (p *program) stringValue(file *ast.File, e ast.Expr) (string, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			if err != nil {
				return "", fmt.Errorf("%s: bad string %s: %w", p.pos(x), x.Value, err)
			}
			return s, nil
		}
	case *ast.SelectorExpr:
		v, err := p.importedConst(file, x)
		if err != nil {
			return "", err
		}
		return p.stringValue(file, v)
	case *ast.ParenExpr:
		return p.stringValue(file, x.X)
	}
	return "", fmt.Errorf("%s: not a string constant: %s", p.pos(e), exprString(e))
}

// consts evaluates the integer constants of package events: iota blocks with implicit repetition,
// literals, references to other constants and simple arithmetic.
type consts struct {
	defs  map[string]constDef
	vals  map[string]int64
	inUse map[string]bool
}

type constDef struct {
	expr ast.Expr
	iota int64
}

func newConsts() *consts {
	return &consts{defs: map[string]constDef{}, vals: map[string]int64{}, inUse: map[string]bool{}}
}

func (c *consts) addFile(f *ast.File) {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		var last []ast.Expr
		for i, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Values) > 0 {
				last = vs.Values
			}
			for j, n := range vs.Names {
				if n.Name == "_" || j >= len(last) {
					continue
				}
				c.defs[n.Name] = constDef{expr: last[j], iota: int64(i)}
			}
		}
	}
}

func (c *consts) value(name string) (int64, error) {
	if v, ok := c.vals[name]; ok {
		return v, nil
	}
	d, ok := c.defs[name]
	if !ok {
		return 0, fmt.Errorf("constant %s is not defined in core.go or core_amd64.go", name)
	}
	if c.inUse[name] {
		return 0, fmt.Errorf("constant %s is defined in terms of itself", name)
	}
	c.inUse[name] = true
	defer delete(c.inUse, name)
	v, err := c.eval(d.expr, d.iota)
	if err != nil {
		return 0, fmt.Errorf("evaluate constant %s: %w", name, err)
	}
	c.vals[name] = v
	return v, nil
}

func (c *consts) eval(e ast.Expr, iota int64) (int64, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.INT {
			return 0, fmt.Errorf("not an integer literal: %s", x.Value)
		}
		return strconv.ParseInt(strings.ReplaceAll(x.Value, "_", ""), 0, 64)
	case *ast.Ident:
		if x.Name == "iota" {
			return iota, nil
		}
		return c.value(x.Name)
	case *ast.ParenExpr:
		return c.eval(x.X, iota)
	case *ast.UnaryExpr:
		v, err := c.eval(x.X, iota)
		if err != nil {
			return 0, err
		}
		switch x.Op {
		case token.SUB:
			return -v, nil
		case token.ADD:
			return v, nil
		case token.XOR:
			return ^v, nil
		}
	case *ast.BinaryExpr:
		a, err := c.eval(x.X, iota)
		if err != nil {
			return 0, err
		}
		b, err := c.eval(x.Y, iota)
		if err != nil {
			return 0, err
		}
		switch x.Op {
		case token.ADD:
			return a + b, nil
		case token.SUB:
			return a - b, nil
		case token.MUL:
			return a * b, nil
		case token.QUO:
			if b == 0 {
				return 0, errors.New("division by zero")
			}
			return a / b, nil
		case token.SHL:
			return a << uint(b), nil
		case token.SHR:
			return a >> uint(b), nil
		case token.OR:
			return a | b, nil
		case token.AND:
			return a & b, nil
		}
	case *ast.CallExpr: // a conversion such as ID(5)
		if _, ok := x.Fun.(*ast.Ident); ok && len(x.Args) == 1 {
			return c.eval(x.Args[0], iota)
		}
	}
	return 0, fmt.Errorf("unsupported constant expression %s", exprString(e))
}

func exprString(e ast.Expr) string {
	var b bytes.Buffer
	if err := format.Node(&b, token.NewFileSet(), e); err != nil {
		return fmt.Sprintf("%T", e)
	}
	return b.String()
}

//
// Probes
//

// readProbes maps every probe handle of NewDefaultProbeGroup to its kind and target.
func readProbes(prog *program, path string) (map[string]Probe, error) {
	f, err := prog.parseFile(path)
	if err != nil {
		return nil, err
	}
	var table *ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok || table != nil {
			return table == nil
		}
		if mt, ok := cl.Type.(*ast.MapType); ok {
			if k, ok := mt.Key.(*ast.Ident); ok && k.Name == "Handle" && len(cl.Elts) > 0 {
				table = cl
				return false
			}
		}
		return true
	})
	if table == nil {
		return nil, fmt.Errorf("%s: no map[Handle]Probe literal", path)
	}
	out := map[string]Probe{}
	for _, el := range table.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: probe table entry is not key: value", prog.pos(el))
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			return nil, fmt.Errorf("%s: probe handle is not an identifier", prog.pos(kv.Key))
		}
		call, ok := kv.Value.(*ast.CallExpr)
		if !ok {
			return nil, fmt.Errorf("%s: probe %s is not a constructor call", prog.pos(kv.Value), key.Name)
		}
		p, err := probeFromCall(prog, f, call)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %w", key.Name, err)
		}
		p.Handle = key.Name
		out[key.Name] = p
	}
	return out, nil
}

// Tracee's probe types (pkg/ebpf/probes/trace.go ProbeType.String, uprobe.go UprobeType).
var traceProbeKinds = map[string]string{
	"KProbe":        "kprobe",
	"KretProbe":     "kretprobe",
	"Tracepoint":    "tracepoint",
	"RawTracepoint": "raw_tracepoint",
	"SyscallEnter":  "syscall_enter",
	"SyscallExit":   "syscall_exit",
	"Fentry":        "fentry",
	"LSM":           "lsm",
	"Uprobe":        "uprobe",
	"Uretprobe":     "uretprobe",
}

func probeFromCall(prog *program, f *ast.File, call *ast.CallExpr) (Probe, error) {
	fn, ok := call.Fun.(*ast.Ident)
	if !ok {
		return Probe{}, fmt.Errorf("%s: unsupported constructor %s", prog.pos(call), exprString(call.Fun))
	}
	arg := func(i int) (ast.Expr, error) {
		if i >= len(call.Args) {
			return nil, fmt.Errorf("%s: %s has %d arguments, want more than %d", prog.pos(call), fn.Name, len(call.Args), i)
		}
		return call.Args[i], nil
	}
	kindOf := func(e ast.Expr) (string, error) {
		id, ok := e.(*ast.Ident)
		if !ok {
			return "", fmt.Errorf("%s: probe type %s is not an identifier", prog.pos(e), exprString(e))
		}
		k, ok := traceProbeKinds[id.Name]
		if !ok {
			return "", fmt.Errorf("%s: unknown probe type %s", prog.pos(e), id.Name)
		}
		return k, nil
	}
	switch fn.Name {
	case "NewTraceProbe", "NewTraceProbeWithCompatibility": // (type, event, program)
		t, err := arg(0)
		if err != nil {
			return Probe{}, err
		}
		kind, err := kindOf(t)
		if err != nil {
			return Probe{}, err
		}
		ev, err := arg(1)
		if err != nil {
			return Probe{}, err
		}
		target, err := prog.stringValue(f, ev)
		if err != nil {
			return Probe{}, err
		}
		return Probe{Kind: kind, Target: target}, nil
	case "NewFixedUprobe", "NewFixedUprobeWithCompatibility": // (type, program, binary, UprobeEventSymbol(symbol))
		t, err := arg(0)
		if err != nil {
			return Probe{}, err
		}
		kind, err := kindOf(t)
		if err != nil {
			return Probe{}, err
		}
		ev, err := arg(3)
		if err != nil {
			return Probe{}, err
		}
		if c, ok := ev.(*ast.CallExpr); ok && len(c.Args) == 1 {
			ev = c.Args[0]
		}
		target, err := prog.stringValue(f, ev)
		if err != nil {
			return Probe{}, err
		}
		return Probe{Kind: kind, Target: target}, nil
	case "NewCgroupProbe", "NewCgroupProbeWithCompatibility": // (bpf.BPFAttachTypeX, program)
		t, err := arg(0)
		if err != nil {
			return Probe{}, err
		}
		sel, ok := t.(*ast.SelectorExpr)
		if !ok {
			return Probe{}, fmt.Errorf("%s: cgroup attach type %s is not pkg.Name", prog.pos(t), exprString(t))
		}
		return Probe{Kind: "cgroup_skb", Target: strings.TrimPrefix(sel.Sel.Name, "BPFAttachType")}, nil
	case "NewLsmProgramProbe", "NewLsmProgramProbeWithCompatibility": // (hook, program)
		h, err := arg(0)
		if err != nil {
			return Probe{}, err
		}
		target, err := prog.stringValue(f, h)
		if err != nil {
			return Probe{}, err
		}
		return Probe{Kind: "lsm", Target: target}, nil
	}
	return Probe{}, fmt.Errorf("%s: unknown probe constructor %s", prog.pos(call), fn.Name)
}

//
// CoreEvents
//

func readCoreEvents(prog *program, f *ast.File, ids *consts, probeKinds map[string]Probe) ([]Event, error) {
	var lit *ast.CompositeLit
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name == "CoreEvents" && i < len(vs.Values) {
					lit, _ = vs.Values[i].(*ast.CompositeLit)
				}
			}
		}
	}
	if lit == nil {
		return nil, errors.New("core.go: no CoreEvents map literal")
	}
	var events []Event
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: CoreEvents entry is not key: value", prog.pos(el))
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			return nil, fmt.Errorf("%s: CoreEvents key is not an ID constant", prog.pos(kv.Key))
		}
		ev, err := readDefinition(prog, f, ids, probeKinds, key.Name, kv.Value)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", key.Name, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

func fieldsOf(prog *program, e ast.Expr) (map[string]ast.Expr, error) {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("%s: not a composite literal: %s", prog.pos(e), exprString(e))
	}
	m := map[string]ast.Expr{}
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: unkeyed field in %s", prog.pos(el), exprString(cl.Type))
		}
		k, ok := kv.Key.(*ast.Ident)
		if !ok {
			return nil, fmt.Errorf("%s: field key is not an identifier", prog.pos(kv.Key))
		}
		m[k.Name] = kv.Value
	}
	return m, nil
}

func elements(prog *program, e ast.Expr) ([]ast.Expr, error) {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("%s: not a composite literal: %s", prog.pos(e), exprString(e))
	}
	return cl.Elts, nil
}

func readDefinition(prog *program, f *ast.File, ids *consts, probeKinds map[string]Probe, key string, e ast.Expr) (Event, error) {
	id, err := ids.value(key)
	if err != nil {
		return Event{}, err
	}
	def, err := fieldsOf(prog, e)
	if err != nil {
		return Event{}, err
	}
	ev := Event{ID: int(id)}
	if x, ok := def["id"]; ok {
		idName, ok := x.(*ast.Ident)
		if !ok {
			return Event{}, fmt.Errorf("%s: id is not an ID constant", prog.pos(x))
		}
		v, err := ids.value(idName.Name)
		if err != nil {
			return Event{}, err
		}
		if v != id {
			return Event{}, fmt.Errorf("%s: id %s (%d) differs from the map key (%d)", prog.pos(x), idName.Name, v, id)
		}
	}
	nameExpr, ok := def["name"]
	if !ok {
		return Event{}, errors.New("no name")
	}
	if ev.Name, err = prog.stringValue(f, nameExpr); err != nil {
		return Event{}, err
	}
	if x, ok := def["syscall"]; ok {
		b, ok := x.(*ast.Ident)
		if !ok || (b.Name != "true" && b.Name != "false") {
			return Event{}, fmt.Errorf("%s: syscall is not true or false", prog.pos(x))
		}
		ev.Syscall = b.Name == "true"
	}
	if x, ok := def["sets"]; ok {
		els, err := elements(prog, x)
		if err != nil {
			return Event{}, fmt.Errorf("sets: %w", err)
		}
		for _, el := range els {
			s, err := prog.stringValue(f, el)
			if err != nil {
				return Event{}, fmt.Errorf("sets: %w", err)
			}
			ev.Sets = append(ev.Sets, s)
		}
	}
	if x, ok := def["fields"]; ok {
		els, err := elements(prog, x)
		if err != nil {
			return Event{}, fmt.Errorf("fields: %w", err)
		}
		for _, el := range els {
			p, err := readField(prog, f, el)
			if err != nil {
				return Event{}, fmt.Errorf("fields: %w", err)
			}
			ev.Params = append(ev.Params, p)
		}
	}
	if x, ok := def["dependencies"]; ok {
		if ev.Probes, err = readProbeDeps(prog, x, probeKinds); err != nil {
			return Event{}, fmt.Errorf("dependencies: %w", err)
		}
	}
	return ev, nil
}

// readField reads {DecodeAs: data.X, ArgMeta: trace.ArgMeta{Type: "...", Name: "..."}}.
// A field without DecodeAs has Tracee's zero value, NONE_T.
func readField(prog *program, f *ast.File, e ast.Expr) (Param, error) {
	m, err := fieldsOf(prog, e)
	if err != nil {
		return Param{}, err
	}
	p := Param{Decode: "NONE_T"}
	if d, ok := m["DecodeAs"]; ok {
		sel, ok := d.(*ast.SelectorExpr)
		if !ok {
			return Param{}, fmt.Errorf("%s: DecodeAs is not data.X: %s", prog.pos(d), exprString(d))
		}
		p.Decode = sel.Sel.Name
	}
	am, ok := m["ArgMeta"]
	if !ok {
		return Param{}, fmt.Errorf("%s: field without ArgMeta", prog.pos(e))
	}
	meta, err := fieldsOf(prog, am)
	if err != nil {
		return Param{}, err
	}
	x, ok := meta["Name"]
	if !ok {
		return Param{}, fmt.Errorf("%s: ArgMeta without Name", prog.pos(am))
	}
	if p.Name, err = prog.stringValue(f, x); err != nil {
		return Param{}, err
	}
	// Tracee leaves Type empty for a few fields (net_packet_http src, dst, ...): keep it empty.
	if x, ok := meta["Type"]; ok {
		if p.Type, err = prog.stringValue(f, x); err != nil {
			return Param{}, err
		}
	}
	return p, nil
}

// readProbeDeps reads dependencies.primary.probes; fallbacks are not part of the table.
func readProbeDeps(prog *program, e ast.Expr, probeKinds map[string]Probe) ([]Probe, error) {
	strategy, err := fieldsOf(prog, e)
	if err != nil {
		return nil, err
	}
	primary, ok := strategy["primary"]
	if !ok {
		return nil, nil
	}
	deps, err := fieldsOf(prog, primary)
	if err != nil {
		return nil, err
	}
	list, ok := deps["probes"]
	if !ok {
		return nil, nil
	}
	els, err := elements(prog, list)
	if err != nil {
		return nil, err
	}
	var out []Probe
	for _, el := range els {
		m, err := fieldsOf(prog, el)
		if err != nil {
			return nil, err
		}
		h, ok := m["handle"].(*ast.SelectorExpr)
		if !ok {
			return nil, fmt.Errorf("%s: probe handle is not probes.X", prog.pos(el))
		}
		p, ok := probeKinds[h.Sel.Name]
		if !ok {
			return nil, fmt.Errorf("%s: probe handle %s is not in the default probe group", prog.pos(h), h.Sel.Name)
		}
		if r, ok := m["required"]; ok {
			b, ok := r.(*ast.Ident)
			if !ok || (b.Name != "true" && b.Name != "false") {
				return nil, fmt.Errorf("%s: required is not true or false", prog.pos(r))
			}
			p.Required = b.Name == "true"
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Required && !out[j].Required })
	return out, nil
}

//
// Kernel-only syscalls (tracefs)
//

// KernelToTableName maps the few x86-64 syscalls whose tracepoint (SYSCALL_DEFINE) name differs
// from their syscall-table name, the name Tracee uses: sys_enter_newstat traces stat (4), etc.
var KernelToTableName = map[string]string{
	"newstat":    "stat",
	"newfstat":   "fstat",
	"newlstat":   "lstat",
	"newuname":   "uname",
	"sendfile64": "sendfile",
	"umount":     "umount2",
}

// KernelArg is one argument of a tracefs syscall format.
type KernelArg struct{ CType, Name string }

// ReadSyscallFormats reads events/syscalls/sys_enter_*/format of a tracefs mount: syscall name -> args.
func ReadSyscallFormats(tracefs string) (map[string][]KernelArg, error) {
	dirs, err := filepath.Glob(filepath.Join(tracefs, "events", "syscalls", "sys_enter_*"))
	if err != nil {
		return nil, fmt.Errorf("list tracefs syscalls: %w", err)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no syscall tracepoints under %s", filepath.Join(tracefs, "events", "syscalls"))
	}
	out := map[string][]KernelArg{}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "format"))
		if err != nil {
			return nil, fmt.Errorf("read syscall format: %w", err)
		}
		args, err := ParseFormat(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		out[strings.TrimPrefix(filepath.Base(d), "sys_enter_")] = args
	}
	return out, nil
}

// ParseFormat returns the args of a sys_enter format: the fields after __syscall_nr.
func ParseFormat(format string) ([]KernelArg, error) {
	var args []KernelArg
	seenNr := false
	for _, line := range strings.Split(format, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "field:") {
			continue
		}
		decl, _, ok := strings.Cut(strings.TrimPrefix(line, "field:"), ";")
		if !ok {
			return nil, fmt.Errorf("malformed field line %q", line)
		}
		i := strings.LastIndexAny(decl, " *")
		if i < 0 {
			return nil, fmt.Errorf("malformed field declaration %q", decl)
		}
		ctype, name := strings.TrimSpace(decl[:i+1]), strings.TrimSpace(decl[i+1:])
		if name == "__syscall_nr" {
			seenNr = true
			continue
		}
		if seenNr {
			args = append(args, KernelArg{CType: ctype, Name: name})
		}
	}
	if !seenNr {
		return nil, errors.New("no __syscall_nr field")
	}
	return args, nil
}

// IsPointerCType reports whether a C type of a syscall format is a pointer (or a pointer typedef).
func IsPointerCType(ctype string) bool {
	switch strings.TrimPrefix(strings.TrimSpace(ctype), "const ") {
	case "cap_user_header_t", "cap_user_data_t":
		return true
	}
	return strings.Contains(ctype, "*")
}

// cTypes maps the integer C types of syscall formats to Tracee's Go type and DecodeAs.
var cTypes = map[string][2]string{
	"int":                {"int32", "INT_T"},
	"unsigned int":       {"uint32", "UINT_T"},
	"long":               {"int64", "LONG_T"},
	"unsigned long":      {"uint64", "ULONG_T"},
	"size_t":             {"uint64", "ULONG_T"},
	"umode_t":            {"uint16", "U16_T"},
	"pid_t":              {"int32", "INT_T"},
	"uid_t":              {"uint32", "UINT_T"},
	"gid_t":              {"uint32", "UINT_T"},
	"qid_t":              {"uint32", "UINT_T"},
	"key_serial_t":       {"int32", "INT_T"},
	"clockid_t":          {"int32", "INT_T"},
	"timer_t":            {"int32", "INT_T"},
	"mqd_t":              {"int32", "INT_T"},
	"rwf_t":              {"int32", "INT_T"},
	"key_t":              {"int32", "INT_T"},
	"off_t":              {"int64", "LONG_T"},
	"loff_t":             {"int64", "LONG_T"},
	"aio_context_t":      {"uint64", "ULONG_T"},
	"u32":                {"uint32", "UINT_T"},
	"__u32":              {"uint32", "UINT_T"},
	"u64":                {"uint64", "ULONG_T"},
	"__u64":              {"uint64", "ULONG_T"},
	"unsigned":           {"uint32", "UINT_T"},
	"unsigned long long": {"uint64", "ULONG_T"},
	"long long":          {"int64", "LONG_T"},
}

// GoTypeOfCType maps a syscall format's C type to Tracee's Go type name and DecodeAs.
func GoTypeOfCType(ctype string) (goType, decode string, err error) {
	norm := strings.Join(strings.Fields(ctype), " ")
	switch {
	case norm == "char *" || norm == "const char *":
		return "string", "STR_T", nil
	case norm == "const char *const *" || norm == "char **" || norm == "const char **":
		return "[]string", "STR_ARR_T", nil
	case strings.HasPrefix(norm, "struct sockaddr *"):
		return "SockAddr", "SOCK_ADDR_T", nil
	case IsPointerCType(norm):
		return "trace.Pointer", "POINTER_T", nil
	}
	if t, ok := cTypes[strings.TrimPrefix(norm, "const ")]; ok {
		return t[0], t[1], nil
	}
	return "", "", fmt.Errorf("unknown C type %q", ctype)
}

// ReadSyscallNumbers reads x86-64 syscall numbers from C headers (#define __NR_name n) and
// Go files (SYS_NAME = n). Missing files are skipped; sources that disagree are an error.
func ReadSyscallNumbers(files []string) (nums map[string]int, used []string, err error) {
	nums = map[string]int{}
	from := map[string]string{}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read syscall numbers: %w", err)
		}
		used = append(used, path)
		for _, line := range strings.Split(string(b), "\n") {
			fs := strings.Fields(line)
			var name, num string
			switch {
			case len(fs) == 3 && fs[0] == "#define" && strings.HasPrefix(fs[1], "__NR_"):
				name, num = strings.TrimPrefix(fs[1], "__NR_"), fs[2]
			case len(fs) == 3 && fs[1] == "=" && strings.HasPrefix(fs[0], "SYS_"):
				name, num = strings.ToLower(strings.TrimPrefix(fs[0], "SYS_")), fs[2]
			default:
				continue
			}
			n, err := strconv.Atoi(num)
			if err != nil {
				continue // e.g. __NR_x (__X32_SYSCALL_BIT + n): not a plain number
			}
			if old, ok := nums[name]; ok && old != n {
				return nil, nil, fmt.Errorf("syscall %s is %d in %s but %d in %s", name, old, from[name], n, path)
			}
			nums[name], from[name] = n, path
		}
	}
	return nums, used, nil
}

// KernelRelease reads the running kernel's release (empty when unknown).
func KernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func addKernelOnly(res *Result, opts Options) error {
	formats, err := ReadSyscallFormats(opts.Tracefs)
	if err != nil {
		return err
	}
	nums, used, err := ReadSyscallNumbers(opts.SysnumFiles)
	if err != nil {
		return err
	}
	res.SysnumUsed = used
	res.KernelRelease = KernelRelease()
	byName := map[string]Event{}
	syscallIDs := map[int]string{}
	for _, ev := range res.Events {
		byName[ev.Name] = ev
		if ev.Syscall {
			syscallIDs[ev.ID] = ev.Name
		}
	}
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, kname := range names {
		name := kname
		if t, ok := KernelToTableName[kname]; ok {
			name = t
		}
		if ev, ok := byName[name]; ok {
			if !ev.Syscall {
				return fmt.Errorf("kernel syscall %s has the name of Tracee's non-syscall event %d", name, ev.ID)
			}
			continue
		}
		nr, ok := nums[name]
		if !ok {
			res.NoNumber = append(res.NoNumber, kname)
			continue
		}
		ev := Event{ID: nr, Name: name, Syscall: true, KernelOnly: true}
		for _, a := range formats[kname] {
			t, d, err := GoTypeOfCType(a.CType)
			if err != nil {
				return fmt.Errorf("kernel syscall %s arg %s: %w", kname, a.Name, err)
			}
			ev.Params = append(ev.Params, Param{Name: a.Name, Type: t, Decode: d})
		}
		res.Events = append(res.Events, ev)
	}
	return nil
}

//
// Output
//

// Render writes the gofmt'ed events_gen.go of package domain.
func Render(res *Result) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/tools/eventgen; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Source: %s@%s pkg/events/core.go, core_amd64.go and pkg/ebpf/probes/probe_group.go.\n", TraceeModule, TraceeVersion)
	if res.KernelRelease != "" || len(res.SysnumUsed) > 0 {
		fmt.Fprintf(&b, "// KernelOnly rows: tracefs syscall formats of kernel %s; numbers from", res.KernelRelease)
		for i, u := range res.SysnumUsed {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(" " + sysnumSourceName(u))
		}
		b.WriteString(".\n")
		if len(res.NoNumber) > 0 {
			fmt.Fprintf(&b, "// Left out (no reliable syscall number): %s.\n", strings.Join(res.NoNumber, ", "))
		}
	}
	b.WriteString("\npackage domain\n\nvar traceeEvents = []TraceeEvent{\n")
	for _, ev := range res.Events {
		fmt.Fprintf(&b, "{ID: %d, Name: %q", ev.ID, ev.Name)
		if ev.Syscall {
			b.WriteString(", Syscall: true")
		}
		if ev.KernelOnly {
			b.WriteString(", KernelOnly: true")
		}
		if len(ev.Sets) > 0 {
			b.WriteString(",\nSets: []string{")
			for i, s := range ev.Sets {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", s)
			}
			b.WriteString("}")
		}
		if len(ev.Params) > 0 {
			b.WriteString(",\nParams: []TraceeParam{\n")
			for _, p := range ev.Params {
				fmt.Fprintf(&b, "{Name: %q, Type: %q, Decode: %q},\n", p.Name, p.Type, p.Decode)
			}
			b.WriteString("}")
		}
		if len(ev.Probes) > 0 {
			b.WriteString(",\nProbes: []TraceeProbe{\n")
			for _, p := range ev.Probes {
				fmt.Fprintf(&b, "{Handle: %q, Kind: %q, Target: %q, Required: %t},\n", p.Handle, p.Kind, p.Target, p.Required)
			}
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	code, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gofmt output: %w", err)
	}
	return code, nil
}

// sysnumSourceName names a number source without the machine's module cache path.
func sysnumSourceName(path string) string {
	slash := filepath.ToSlash(path)
	if i := strings.Index(slash, xsysModule+"@"); i >= 0 {
		return slash[i:]
	}
	return slash
}
