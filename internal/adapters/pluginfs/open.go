package pluginfs

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"plugin"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

const (
	signaturesSymbol  = "ExportedSignatures"
	dataSourcesSymbol = "ExportedDataSources"
	detectPkg         = "github.com/seed-428f5ad7/tracee/types/detect"
)

// relabel copies r as if it had been loaded through path to instead of from: the same file may
// be reached through several symlinks or directories.
func (r fileResult) relabel(from, to string) fileResult {
	out := fileResult{
		Signatures:  make([]domain.LoadedSignature, len(r.Signatures)),
		DataSources: make([]domain.LoadedDataSource, len(r.DataSources)),
		Problems:    make([]domain.LoadProblem, len(r.Problems)),
		Warnings:    make([]string, len(r.Warnings)),
	}
	for i, s := range r.Signatures {
		s.Info.Origin = to
		out.Signatures[i] = s
	}
	for i, d := range r.DataSources {
		d.Origin = to
		out.DataSources[i] = d
	}
	for i, p := range r.Problems {
		p.Path = to
		out.Problems[i] = p
	}
	for i, w := range r.Warnings {
		out.Warnings[i] = strings.Replace(w, from, to, 1)
	}
	return out
}

// fileResult is what one plugin file yields.
type fileResult struct {
	Signatures  []domain.LoadedSignature
	DataSources []domain.LoadedDataSource
	Problems    []domain.LoadProblem
	Warnings    []string
}

func (r *fileResult) problem(path, cause, fix string) {
	r.Problems = append(r.Problems, domain.LoadProblem{Path: path, Cause: cause, Fix: fix})
}

func (r fileResult) merge(o fileResult) fileResult {
	r.Signatures = append(r.Signatures, o.Signatures...)
	r.DataSources = append(r.DataSources, o.DataSources...)
	r.Problems = append(r.Problems, o.Problems...)
	r.Warnings = append(r.Warnings, o.Warnings...)
	return r
}

// opened remembers every plugin this process has opened. Go plugins are load-once and the
// registry is process-wide (a second plugin.Open of a path whose init panicked even blocks
// forever), so this cache is process-wide too: a path is opened at most once per process.
var opened = struct {
	sync.Mutex
	byPath    map[string]openedPlugin
	byPackage map[string]string // main package path -> the file it was loaded from
}{byPath: map[string]openedPlugin{}, byPackage: map[string]string{}}

type openedPlugin struct {
	path    string // the path it was first loaded through
	result  fileResult
	size    int64
	modTime time.Time
}

// open checks a plugin's build info against the host, then opens it once and reads its signatures.
func (l *Loader) open(path, real string) fileResult {
	opened.Lock()
	defer opened.Unlock()
	if prev, ok := opened.byPath[real]; ok {
		out := prev.result.relabel(prev.path, path)
		if info, err := os.Stat(real); err == nil && (info.Size() != prev.size || !info.ModTime().Equal(prev.modTime)) {
			out.Warnings = append(out.Warnings, fmt.Sprintf(
				"%s changed on disk after it was loaded; Go plugins cannot be reloaded: restart tracee to load the new version", path))
		}
		return out
	}

	var out fileResult
	bi, err := buildinfo.ReadFile(real)
	if err != nil {
		cause, fix := notGoPlugin(real, err)
		out.problem(path, cause, fix)
		return out
	}
	if l.host.BuildInfo != nil {
		if ms := compareBuilds(l.host.BuildInfo, bi); len(ms) > 0 {
			for _, m := range ms {
				out.problem(path, m.Cause, m.Fix)
			}
			return out
		}
	}

	// Go loads a plugin's main package once per process: a second file built from the same
	// package (a copy, or another version of it) cannot be opened.
	if first, ok := opened.byPackage[bi.Path]; ok && bi.Path != "command-line-arguments" {
		out.problem(path, fmt.Sprintf("built from the same main package %s as %s, which is already loaded; Go loads a package once per process", bi.Path, first),
			"keep one copy of the plugin (remove the other file), or give each plugin its own main package")
		return out
	}

	info, _ := os.Stat(real)
	if p, err := openPlugin(real); err != nil {
		m := explainOpenError(err.Error(), l.host.BuildInfo, bi)
		out.problem(path, m.Cause, m.Fix)
	} else {
		opened.byPackage[bi.Path] = path
		out = readSignatures(path, p, bi)
	}
	rec := openedPlugin{path: path, result: out}
	if info != nil {
		rec.size, rec.modTime = info.Size(), info.ModTime()
	}
	opened.byPath[real] = rec
	return out
}

// openPlugin is plugin.Open, surviving a panic in the plugin's package initialisation.
func openPlugin(path string) (p *plugin.Plugin, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the plugin panicked while initialising: %v", r)
		}
	}()
	return plugin.Open(path)
}

// notGoPlugin explains why a file has no Go build info.
func notGoPlugin(path string, err error) (cause, fix string) {
	const fixNotGo = "remove it from the signatures directory: only Go plugins built with -buildmode=plugin belong there"
	if errors.Is(err, fs.ErrPermission) {
		return "cannot read file: permission denied", "make it readable by the user running tracee (chmod/chown), or run tracee as root"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "open" {
		return "cannot read file: " + pe.Err.Error(), "check the file"
	}
	head := make([]byte, 4)
	if f, ferr := os.Open(path); ferr == nil {
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		f.Close()
	}
	if !bytes.Equal(head, []byte("\x7fELF")) {
		return "not a Go plugin: not an ELF shared object", fixNotGo
	}
	if why := damagedELF(path); why != "" {
		return "not a loadable plugin: " + why, "the file is incomplete or damaged: build or copy it again"
	}
	return "not a Go plugin: an ELF file without Go build info (a C library?)", fixNotGo
}

// readSignatures looks up ExportedSignatures and judges every signature on its own.
func readSignatures(path string, p *plugin.Plugin, bi *debug.BuildInfo) fileResult {
	out := readDataSources(path, p)
	sym, err := p.Lookup(signaturesSymbol)
	if err != nil && len(out.DataSources) > 0 {
		return out // a plugin may only provide data sources
	}
	if err != nil {
		out.problem(path, "does not export "+signaturesSymbol,
			"declare `var ExportedSignatures = []detect.Signature{...}` in the plugin's package main (import "+detectPkg+")")
		return out
	}
	list, ok := sym.(*[]detect.Signature)
	if !ok {
		out.problem(path, fmt.Sprintf("%s has type %s, want *[]detect.Signature (%s)", signaturesSymbol, typeName(sym), detectPkg),
			wrongTypeFix(sym))
		return out
	}
	if len(*list) == 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: %s is empty", path, signaturesSymbol))
	}
	for i, sig := range *list {
		where := fmt.Sprintf("%s[%d]", signaturesSymbol, i)
		if isNil(sig) {
			out.problem(path, where+" is nil", "remove the nil entry or construct the signature")
			continue
		}
		ls, cause := describeSignature(sig)
		if cause != "" {
			out.problem(path, where+": "+cause, "fix the signature's code and rebuild the plugin")
			continue
		}
		ls.Info.Origin = path
		out.Signatures = append(out.Signatures, ls)
	}
	return out
}

// readDataSources reads the optional ExportedDataSources (a []detect.DataSource, as in Tracee).
func readDataSources(path string, p *plugin.Plugin) fileResult {
	var out fileResult
	sym, err := p.Lookup(dataSourcesSymbol)
	if err != nil {
		return out
	}
	list, ok := sym.(*[]detect.DataSource)
	if !ok {
		out.problem(path, fmt.Sprintf("%s has type %s, want *[]detect.DataSource (%s)", dataSourcesSymbol, typeName(sym), detectPkg),
			"declare `var ExportedDataSources = []detect.DataSource{...}`")
		return out
	}
	for i, ds := range *list {
		if isNil(ds) {
			out.problem(path, fmt.Sprintf("%s[%d] is nil", dataSourcesSymbol, i), "remove the nil entry or construct the data source")
			continue
		}
		out.DataSources = append(out.DataSources, domain.LoadedDataSource{Source: ds, Origin: path})
	}
	return out
}

// describeSignature calls GetMetadata and GetSelectedEvents, surviving errors and panics.
func describeSignature(sig detect.Signature) (ls domain.LoadedSignature, cause string) {
	step := "GetMetadata"
	defer func() {
		if r := recover(); r != nil {
			cause = fmt.Sprintf("%s panicked: %v", step, r)
		}
	}()
	md, err := sig.GetMetadata()
	if err != nil {
		return ls, "GetMetadata failed: " + oneLine(err.Error())
	}
	switch {
	case strings.TrimSpace(md.ID) == "":
		return ls, "GetMetadata returned an empty ID"
	case strings.TrimSpace(md.EventName) == "":
		return ls, fmt.Sprintf("signature %s has an empty EventName", md.ID)
	}
	step = fmt.Sprintf("GetSelectedEvents of %s", md.ID)
	sel, err := sig.GetSelectedEvents()
	if err != nil {
		return ls, fmt.Sprintf("GetSelectedEvents of %s failed: %s", md.ID, oneLine(err.Error()))
	}
	return domain.LoadedSignature{Signature: sig, Info: domain.SignatureInfo{Metadata: md, Selectors: sel}}, ""
}

// isNil also catches a typed nil pointer stored in the interface.
func isNil(sig any) bool {
	if sig == nil {
		return true
	}
	v := reflect.ValueOf(sig)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// typeName spells a type with full package paths: two packages named detect must not look alike.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	return fullName(t)
}

func fullName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + fullName(t.Elem())
	case reflect.Slice:
		return "[]" + fullName(t.Elem())
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

func wrongTypeFix(sym any) string {
	// No import-prefix advice: github.com/aquasecurity/tracee/types and this module's types/ are
	// the same packages (aliases), so either import gives the type the loader wants.
	if t := reflect.TypeOf(sym); t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() != reflect.Slice {
		return "declare it as a variable: `var ExportedSignatures = []detect.Signature{...}`"
	}
	return "declare `var ExportedSignatures = []detect.Signature{...}` (a slice of the interface, not of a concrete type)"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
