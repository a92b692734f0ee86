package opa

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/filetrust"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

// SignatureLoader loads .rego files found (recursively) in signature directories as signatures.
// It implements ports.SignatureLoader; Go plugins are another loader's job.
type SignatureLoader struct {
	log    *slog.Logger
	trust  trustRule
	mu     sync.Mutex
	dirs   []string
	sigs   map[string]*regoSignature // by file
	inputs *inputCache
}

// SignatureConfig configures the Rego signature loader.
type SignatureConfig struct {
	// AllowUnsafe loads .rego files that someone other than root (or the user running tracee)
	// could have written, with a warning each (--allow-unsafe-plugins); otherwise they are refused.
	AllowUnsafe bool
}

// NewSignatureLoader returns a loader that refuses untrusted files.
func NewSignatureLoader(log *slog.Logger) *SignatureLoader {
	return NewSignatureLoaderWith(SignatureConfig{}, log)
}

// NewSignatureLoaderWith returns a loader configured by cfg.
func NewSignatureLoaderWith(cfg SignatureConfig, log *slog.Logger) *SignatureLoader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SignatureLoader{log: log.With("component", "rego-signatures"), sigs: map[string]*regoSignature{},
		trust: newTrustRule(cfg.AllowUnsafe)}
}

// trustRule applies filetrust's rule, the one Go plugins obey, to Rego files.
type trustRule struct {
	allowUnsafe bool
	euid        int
}

func newTrustRule(allowUnsafe bool) trustRule {
	return trustRule{allowUnsafe: allowUnsafe, euid: os.Geteuid()}
}

// judge returns a problem for an untrusted file, or, when unsafe files are allowed, a warning.
func (t trustRule) judge(path string) (*domain.LoadProblem, string) {
	p := filetrust.Check(path, "", t.euid)
	if p == nil {
		return nil, ""
	}
	if t.allowUnsafe {
		return nil, fmt.Sprintf("%s: %s; loaded anyway (%s)", path, p.Cause, filetrust.AllowUnsafeFlag)
	}
	return &domain.LoadProblem{Path: path, Cause: p.Cause, Fix: p.Fix}, ""
}

// isRegoSource is a .rego file that is not a Rego unit test.
func isRegoSource(name string) bool {
	return strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego")
}

type regoFile struct {
	path, source string
	mod          *ast.Module
}

// readRego finds and parses the .rego files under roots; a file that does not parse is a problem.
// A root that does not exist is left to the other loaders to report.
// Each file must pass the trust rule first.
func readRego(ctx context.Context, roots []string, trust trustRule) ([]regoFile, []domain.LoadProblem, []string) {
	var paths []string
	seen := map[string]bool{}
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || ctx.Err() != nil {
				return nil
			}
			if !d.IsDir() && isRegoSource(d.Name()) && !seen[path] {
				seen[path] = true
				paths = append(paths, path)
			}
			return nil
		})
	}
	sort.Strings(paths)
	var files []regoFile
	var problems []domain.LoadProblem
	var warnings []string
	for _, p := range paths {
		problem, warning := trust.judge(p)
		if problem != nil {
			problems = append(problems, *problem)
			continue
		}
		if warning != "" {
			warnings = append(warnings, warning)
		}
		src, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, domain.LoadProblem{Path: p, Cause: err.Error(), Fix: "make the file readable"})
			continue
		}
		mod, err := parseModule(p, string(src))
		if err != nil {
			problems = append(problems, domain.LoadProblem{Path: p, Cause: causeIn(p, err), Fix: "fix the Rego syntax (opa check FILE shows the same errors)"})
			continue
		}
		files = append(files, regoFile{path: p, source: string(src), mod: mod})
	}
	return files, problems, warnings
}

// isSignatureModule says whether a module defines tracee_match (others are libraries).
func isSignatureModule(m *ast.Module) bool {
	for _, r := range m.Rules {
		if r.Head.Name.String() == ruleMatch || (len(r.Head.Reference) == 1 && r.Head.Reference[0].Value.Compare(ast.Var(ruleMatch)) == 0) {
			return true
		}
	}
	return false
}

// Load reads every .rego file under dirs: files defining tracee_match are signatures, the others
// libraries they may import (package tracee.helpers is built in). A file that does not parse or
// compile is reported with file:line and skipped; the others load.
func (l *SignatureLoader) Load(ctx context.Context, dirs []string) domain.LoadResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dirs = append([]string(nil), dirs...)
	compiled, res := l.compileAll(ctx, nil)
	l.sigs = map[string]*regoSignature{}
	l.inputs = newInputCache()
	for _, path := range sortedKeys(compiled) {
		s := &regoSignature{path: path, inputs: l.inputs}
		l.inputs.extend(compiled[path].keys)
		s.cur.Store(compiled[path])
		l.sigs[path] = s
		res.Signatures = append(res.Signatures, domain.LoadedSignature{Signature: s, Info: domain.SignatureInfo{
			Metadata: compiled[path].meta, Selectors: compiled[path].selectors, Origin: path}})
	}
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// compileAll compiles every signature file; previous versions whose source is unchanged are reused.
func (l *SignatureLoader) compileAll(ctx context.Context, previous map[string]*compiledSignature) (map[string]*compiledSignature, domain.LoadResult) {
	var res domain.LoadResult
	files, problems, warnings := readRego(ctx, l.dirs, l.trust)
	res.Problems, res.Warnings = problems, warnings
	libs := map[string]*ast.Module{}
	var sigFiles []regoFile
	for _, f := range files {
		if isSignatureModule(f.mod) {
			sigFiles = append(sigFiles, f)
			continue
		}
		libs[f.path] = f.mod
	}
	// A library that does not compile is dropped (and reported) so that it breaks only the
	// signatures that import it.
	if _, err := compile(libs); err != nil {
		for _, path := range sortedKeys(libs) {
			if _, err := compile(map[string]*ast.Module{path: libs[path]}); err != nil {
				res.Problems = append(res.Problems, domain.LoadProblem{Path: path, Cause: causeIn(path, err), Fix: "fix the Rego library"})
				delete(libs, path)
			}
		}
	}
	out := map[string]*compiledSignature{}
	for _, f := range sigFiles {
		if prev, ok := previous[f.path]; ok && prev.source == f.source && len(libs) == 0 {
			out[f.path] = prev
			continue
		}
		c, err := compileSignature(ctx, f.path, f.source, f.mod, libs)
		if err != nil {
			res.Problems = append(res.Problems, domain.LoadProblem{Path: f.path, Cause: causeIn(f.path, err),
				Fix: "fix the signature; the other signatures are loaded"})
			continue
		}
		out[f.path] = c
	}
	return out, res
}

// ReloadReport says what a reload changed.
type ReloadReport struct {
	Swapped  []string // files whose new version now runs
	Kept     []string // files whose new version is broken or needs a restart: the old one keeps running
	Problems []domain.LoadProblem
}

// Reload re-reads the .rego files of the last Load and swaps, signature by signature, the ones
// that compile and keep their ID, event name and selected events (the engine's dispatch index and
// the catalog depend on those: changing them, adding or removing a file needs a restart). Each
// swap is atomic: an event is evaluated by the old or by the new version, never both or neither.
func (l *SignatureLoader) Reload(ctx context.Context) (ReloadReport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	previous := map[string]*compiledSignature{}
	for path, s := range l.sigs {
		previous[path] = s.cur.Load()
	}
	compiled, res := l.compileAll(ctx, previous)
	rep := ReloadReport{Problems: res.Problems}
	for _, path := range sortedKeys(l.sigs) {
		s := l.sigs[path]
		next, ok := compiled[path]
		old := previous[path]
		switch {
		case !ok:
			rep.Kept = append(rep.Kept, path)
			if !hasProblem(res.Problems, path) {
				rep.Problems = append(rep.Problems, domain.LoadProblem{Path: path, Cause: "the file is gone or no longer a signature; the loaded version keeps running",
					Fix: "restart the agent to drop it"})
			}
		case next == old:
		case next.meta.ID != old.meta.ID || next.meta.EventName != old.meta.EventName || !sameSelectors(next.selectors, old.selectors):
			rep.Kept = append(rep.Kept, path)
			rep.Problems = append(rep.Problems, domain.LoadProblem{Path: path,
				Cause: "the new version changes the signature's id, eventName or selected events; the loaded version keeps running",
				Fix:   "restart the agent to apply it"})
		default:
			l.inputs.extend(next.keys)
			s.cur.Store(next)
			rep.Swapped = append(rep.Swapped, path)
		}
	}
	for _, path := range sortedKeys(compiled) {
		if _, known := l.sigs[path]; !known {
			rep.Problems = append(rep.Problems, domain.LoadProblem{Path: path, Cause: "new signature file", Fix: "restart the agent to load it"})
		}
	}
	for _, p := range rep.Problems {
		l.log.Warn("rego signature reload: " + p.String())
	}
	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("reload of rego signatures: %d problem(s), first: %s", len(rep.Problems), rep.Problems[0])
	}
	return rep, nil
}

func hasProblem(ps []domain.LoadProblem, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}

func sameSelectors(a, b []detect.SignatureEventSelector) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(s detect.SignatureEventSelector) string { return s.Source + "\x00" + s.Name + "\x00" + s.Origin }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i], kb[i] = key(a[i]), key(b[i])
	}
	sort.Strings(ka)
	sort.Strings(kb)
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}
