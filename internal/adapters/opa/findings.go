package opa

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// FindingPackage is the Rego package finding policies write their decisions in. Several files may
// contribute to it; see docs/policies.md for the rules and the input document.
const FindingPackage = "tracee.findings"

// The decisions a finding policy may write, each read by its own prepared query: one
// evaluation per decision computes only the rules it reaches (not every helper rule of the
// policies); an undefined decision is its default (no suppression, no severity, no tags, no
// fields).
var decisionNames = [...]string{"suppress", "severity", "tags", "fields"}

// decision reads one decision rule, with one query; or, for an object the policies write key
// by key with constant keys (fields.team := ...), with one query per key, which partial
// evaluation reduces to the rule bodies (reading the whole object walks OPA's rule tree).
// No query at all when no policy writes it.
type decision struct {
	whole *evaluator
	keys  []string
	byKey []*evaluator
}

// maxKeyQueries bounds the per-key queries: each has a fixed cost, a quarter of the whole object's.
const maxKeyQueries = 4

func prepareDecision(ctx context.Context, comp *ast.Compiler, name string) (decision, error) {
	ref := "data." + FindingPackage + "." + name
	rules := comp.GetRules(ast.MustParseRef(ref))
	if len(rules) == 0 {
		return decision{}, nil
	}
	if keys, ok := constantKeys(rules, name); ok && len(keys) <= maxKeyQueries {
		d := decision{keys: keys}
		for _, k := range keys {
			e, err := prepare(ctx, comp, ref+"["+ast.StringTerm(k).String()+"]")
			if err != nil {
				return decision{}, err
			}
			d.byKey = append(d.byKey, e)
		}
		return d, nil
	}
	e, err := prepare(ctx, comp, ref)
	return decision{whole: e}, err
}

// constantKeys returns the keys of rules that all write name.KEY (a string constant).
func constantKeys(rules []*ast.Rule, name string) ([]string, bool) {
	var keys []string
	seen := map[string]bool{}
	for _, r := range rules {
		head := r.Head.Ref()
		if len(head) != 2 || len(r.Head.Args) > 0 || !head[0].Equal(ast.VarTerm(name)) {
			return nil, false
		}
		k, ok := head[1].Value.(ast.String)
		if !ok {
			return nil, false
		}
		if !seen[string(k)] {
			seen[string(k)] = true
			keys = append(keys, string(k))
		}
	}
	sort.Strings(keys) // GetRules gives no order
	return keys, true
}

func (d decision) reads() fieldSet {
	if d.whole != nil {
		return d.whole.reads
	}
	fs := fieldSet{}
	for _, e := range d.byKey {
		fs = fs.union(e.reads)
	}
	return fs
}

// eval is the decision's value as Go values; nil when undefined.
func (d decision) eval(ctx context.Context, r *inputReader, doc func() *ast.Term) (interface{}, error) {
	if d.whole != nil {
		v, _, err := d.whole.evalEventGo(ctx, r, doc)
		return v, err
	}
	var out map[string]interface{}
	for i, e := range d.byKey {
		v, defined, err := e.evalEventGo(ctx, r, doc)
		if err != nil {
			return nil, err
		}
		if !defined {
			continue
		}
		if out == nil {
			out = make(map[string]interface{}, len(d.byKey))
		}
		out[d.keys[i]] = v
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}

// FindingConfig names the finding policies: .rego files, or directories whose .rego files
// (recursively, except *_test.rego) are read. The -p/--policy paths can be passed as they are:
// YAML files there are not Rego and are ignored here.
type FindingConfig struct {
	Paths []string
	// AllowUnsafe loads policy files that someone other than root (or the user running tracee)
	// could have written, with a warning each (--allow-unsafe-plugins); otherwise they are refused.
	AllowUnsafe bool
}

// FindingEvaluator runs finding policies on every finding (ports.PolicyEvaluator). The compiled
// policies sit behind an atomic pointer: Reload swaps them without stopping evaluation, and each
// finding is judged wholly by one version.
type FindingEvaluator struct {
	cfg    FindingConfig
	log    *slog.Logger
	cur    atomic.Pointer[findingProgram]
	reload sync.Mutex
}

type findingProgram struct {
	decisions     [len(decisionNames)]decision
	shape         inputShape
	signature     bool            // the policies read input.signature
	signatureKeys map[string]bool // the keys of it they read; nil: all
	files         []string
	generation    uint64
}

// NewFindingEvaluator compiles the finding policies; a policy that does not parse or compile is
// an error (file:line: cause). With no .rego file every finding passes unchanged.
func NewFindingEvaluator(cfg FindingConfig, log *slog.Logger) (*FindingEvaluator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &FindingEvaluator{cfg: cfg, log: log.With("component", "finding-policies")}
	p, err := e.build(context.Background(), 1)
	if err != nil {
		return nil, err
	}
	e.cur.Store(p)
	return e, nil
}

// Files are the policy files the running version was built from.
func (e *FindingEvaluator) Files() []string { return e.cur.Load().files }

// Generation counts successful loads (1 after New), for tests and logs.
func (e *FindingEvaluator) Generation() uint64 { return e.cur.Load().generation }

// Reload re-reads the policy files. If the new version does not compile, the running version
// stays and the error says why.
func (e *FindingEvaluator) Reload(ctx context.Context) error {
	e.reload.Lock()
	defer e.reload.Unlock()
	next, err := e.build(ctx, e.cur.Load().generation+1)
	if err != nil {
		return fmt.Errorf("finding policies not reloaded, the previous version keeps running: %w", err)
	}
	e.cur.Store(next)
	e.log.Info("finding policies reloaded", "files", len(next.files), "generation", next.generation)
	return nil
}

func (e *FindingEvaluator) build(ctx context.Context, generation uint64) (*findingProgram, error) {
	files, problems, warnings := readRego(ctx, e.cfg.Paths, newTrustRule(e.cfg.AllowUnsafe))
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = p.String()
		}
		return nil, fmt.Errorf("finding policy: %s", strings.Join(lines, "\n"))
	}
	for _, w := range warnings {
		e.log.Warn("finding policy: " + w)
	}
	p := &findingProgram{generation: generation}
	if len(files) == 0 {
		return p, nil
	}
	modules := map[string]*ast.Module{}
	for _, f := range files {
		modules[f.path] = f.mod
		p.files = append(p.files, f.path)
	}
	comp, err := compile(modules)
	if err != nil {
		return nil, fmt.Errorf("finding policy: %w", err)
	}
	keys := fieldSet{}
	for i, name := range decisionNames {
		d, err := prepareDecision(ctx, comp, name)
		if err != nil {
			return nil, fmt.Errorf("finding policy: %w", err)
		}
		p.decisions[i] = d
		keys = keys.union(d.reads())
	}
	p.shape = shapeFor(keys)
	if sub, ok := keys["signature"]; ok || keys == nil {
		p.signature, p.signatureKeys = true, sub
	}

	return p, nil
}

// EvaluateFinding applies the decisions of package tracee.findings to a signature event:
// suppress, severity, tags and fields (see docs/policies.md). ev is changed in place; its
// Metadata is copied first, as it may be shared with the signature.
func (e *FindingEvaluator) EvaluateFinding(ctx context.Context, ev *trace.Event) (domain.Verdict, error) {
	p := e.cur.Load()
	if len(p.files) == 0 {
		return domain.Verdict{}, nil
	}
	r := eventReader(ev, p.signature)
	var term *ast.Term // the input document: built once, when a decision needs OPA
	doc := func() *ast.Term {
		if term == nil {
			input := p.shape.value(ev)
			if p.signature {
				input.Insert(signatureField.key, signatureField.build(ev, p.signatureKeys))
			}
			term = ast.NewTerm(input)
		}
		return term
	}
	var d [len(decisionNames)]interface{}
	for i, dec := range p.decisions {
		var err error
		if d[i], err = dec.eval(ctx, &r, doc); err != nil {
			return domain.Verdict{}, fmt.Errorf("finding policy: %w", err)
		}
	}
	return apply(d, ev)
}

// signatureField summarises the signature of a finding: id, name, eventName, severity, tags,
// properties; null when the finding has no metadata.
var signatureField = inputField{
	key: nameTerm("signature"),
	build: func(ev *trace.Event, sub map[string]bool) *ast.Term {
		if ev.Metadata == nil {
			return ast.InternedNullTerm
		}
		o := newObject(sub, len(signatureKeys))
		for _, k := range signatureKeys {
			if o.wants(k) {
				o.put(k, signatureMember(ev, k))
			}
		}
		return o.term()
	},
	member: func(ev *trace.Event, key string) (*ast.Term, directState) {
		if ev.Metadata == nil {
			return nil, stateUnknown // a key of null: left to OPA
		}
		if t := signatureMember(ev, key); t != nil {
			return t, stateDefined
		}
		return nil, stateUndefined
	},
}

var signatureKeys = [...]string{"id", "name", "eventName", "severity", "tags", "properties"}

// signatureMember is one key of input.signature; nil when it has no such key.
func signatureMember(ev *trace.Event, key string) *ast.Term {
	md := ev.Metadata
	switch key {
	case "id": // IDs and names repeat from finding to finding
		return contextTerm(domain.PropertyString(md.Properties, "signatureID"))
	case "name":
		return contextTerm(domain.PropertyString(md.Properties, "signatureName"))
	case "eventName":
		return nameTerm(ev.EventName)
	case "severity":
		return intTerm(domain.PropertyInt(md.Properties, "Severity"))
	case "tags":
		return valueTerm(md.Tags)
	case "properties":
		p := ast.NewObjectWithCapacity(len(md.Properties))
		for k, v := range md.Properties {
			p.Insert(nameTerm(k), valueTerm(v)) // property names: the signatures' bounded set
		}
		return ast.NewTerm(p)
	}
	return nil
}

// apply applies the decisions, in decisionNames' order, to ev.
func apply(d [len(decisionNames)]interface{}, ev *trace.Event) (domain.Verdict, error) {
	var v domain.Verdict
	switch s := d[0].(type) {
	case bool:
		if s {
			v.Suppress, v.Reason = true, "suppressed by a finding policy"
		}
	case []interface{}:
		if len(s) > 0 {
			reasons := make([]string, 0, len(s))
			for _, r := range s {
				reasons = append(reasons, fmt.Sprint(r))
			}
			sort.Strings(reasons)
			v.Suppress, v.Reason = true, strings.Join(reasons, "; ")
		}
	}
	if v.Suppress {
		return v, nil
	}
	severity, haveSeverity := -1, false
	switch s := d[1].(type) {
	case int:
		severity, haveSeverity = s, true
	case []interface{}: // several policies set one: the highest wins
		for _, x := range s {
			if n, ok := x.(int); ok && n > severity {
				severity, haveSeverity = n, true
			}
		}
	}
	tags, _ := d[2].([]interface{})
	fields, _ := d[3].(map[string]interface{})
	if !haveSeverity && len(tags) == 0 && len(fields) == 0 {
		return v, nil
	}
	md := cloneMetadata(ev.Metadata)
	if haveSeverity {
		if severity < 0 || severity > 4 {
			return v, fmt.Errorf("finding policy: severity %d out of range 0-4", severity)
		}
		md.Properties["Severity"] = severity
	}
	for _, t := range tags {
		if s, ok := t.(string); ok && !containsString(md.Tags, s) {
			md.Tags = append(md.Tags, s)
		}
	}
	for k, val := range fields {
		md.Properties[k] = val
	}
	ev.Metadata = md
	return v, nil
}

func cloneMetadata(m *trace.Metadata) *trace.Metadata {
	out := &trace.Metadata{Properties: map[string]interface{}{}}
	if m == nil {
		return out
	}
	out.Version, out.Description = m.Version, m.Description
	out.Tags = append([]string(nil), m.Tags...)
	for k, v := range m.Properties {
		out.Properties[k] = v
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
