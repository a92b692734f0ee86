// Package policyfile reads Tracee v1beta1 policies (YAML) from files and directories. Every
// mistake is reported with file:line:column and how to fix it; all mistakes of a load are reported
// together, not only the first.
package policyfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/filetrust"
)

// The apiVersion and kind a policy must declare.
const (
	APIVersion = "tracee.aquasec.com/v1beta1"
	Kind       = "Policy"
)

// Config configures the Loader.
type Config struct {
	// AllowUnsafe reads policy files that someone other than root (or the user running tracee)
	// could have written, with a warning each (--allow-unsafe-plugins); otherwise they are refused.
	AllowUnsafe bool
}

// Loader reads policies from the -p/--policy paths. A policy decides what a root agent watches
// and ignores, so a file follows the trust rule of code (filetrust).
type Loader struct {
	cfg  Config
	log  *slog.Logger
	euid int
}

// New returns a Loader that refuses untrusted files.
func New() *Loader { return NewWith(Config{}, nil) }

// NewWith returns a Loader configured by cfg; warnings go to log.
func NewWith(cfg Config, log *slog.Logger) *Loader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loader{cfg: cfg, log: log.With("component", "policies"), euid: os.Geteuid()}
}

// IsPolicyFile reports whether a file in a policy directory is read as a YAML policy.
func IsPolicyFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// Load reads every path: a file, or a directory whose *.yaml and *.yml files are read in name
// order (not recursively). .rego files (finding policies, read by the OPA adapter from the same
// paths) are skipped. A file may hold several policies separated by "---". The result is
// checked with domain.ValidatePolicies (names, at most 64 policies); events are checked later
// against the catalog by domain.NewPolicySet.
func (l *Loader) Load(ctx context.Context, paths []string) ([]domain.Policy, error) {
	var files []string
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s: %w", p, err))
			continue
		}
		if !st.IsDir() {
			switch {
			case IsPolicyFile(p):
				files = append(files, p)
			case strings.HasSuffix(p, ".rego"):
				// a Rego finding policy given with -p: the OPA adapter reads it
			default:
				errs = append(errs, &domain.PolicyError{Pos: p, Msg: "not a policy file",
					Fix: "give a .yaml/.yml Tracee policy, a .rego finding policy, or a directory of them"})
			}
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy directory %s: %w", p, err))
			continue
		}
		var found []string
		for _, e := range entries {
			if !e.IsDir() && IsPolicyFile(e.Name()) {
				found = append(found, filepath.Join(p, e.Name()))
			}
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	var policies []domain.Policy
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p := filetrust.Check(f, "", l.euid); p != nil {
			if !l.cfg.AllowUnsafe {
				errs = append(errs, &domain.PolicyError{Pos: f, Msg: p.Cause, Fix: p.Fix})
				continue
			}
			l.log.Warn(fmt.Sprintf("policy %s: %s; read anyway (%s)", f, p.Cause, filetrust.AllowUnsafeFlag))
		}
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s: %w", f, err))
			continue
		}
		ps, err := Parse(f, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		policies = append(policies, ps...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := domain.ValidatePolicies(policies); err != nil {
		return nil, err
	}
	return policies, nil
}

// Parse reads the policies of one file's content; file names the file in messages.
func Parse(file string, data []byte) ([]domain.Policy, error) {
	p := &parser{file: file}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var out []domain.Policy
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(file, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		if pol, ok := p.policy(doc.Content[0]); ok {
			out = append(out, pol)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if len(out) == 0 {
		return nil, &domain.PolicyError{Pos: file, Msg: "no policy in file", Fix: "write a document with apiVersion: " + APIVersion + " and kind: " + Kind}
	}
	return out, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError turns "yaml: line 3: could not find expected ':'" into "FILE:3: could not ...".
func syntaxError(file string, err error) error {
	msg := err.Error()
	pos := file
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos = file + ":" + m[1]
		msg = msg[len(m[0]):]
	}
	return &domain.PolicyError{Pos: pos, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: "),
		Fix: "check the indentation (spaces, not tabs) and that every key is followed by ': '"}
}

type parser struct {
	file string
	errs []error
}

func (p *parser) pos(n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", p.file, n.Line, n.Column)
}

func (p *parser) fail(n *yaml.Node, msg, fix string) {
	p.errs = append(p.errs, &domain.PolicyError{Pos: p.pos(n), Msg: msg, Fix: fix})
}

// fields walks a mapping, calling handle for each known key and reporting unknown ones.
func (p *parser) fields(n *yaml.Node, where string, known []string, handle func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, fmt.Sprintf("%s must be a mapping (key: value)", where), "indent its fields under it")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.fail(k, fmt.Sprintf("%s.%s is given twice", where, k.Value), "keep one")
			continue
		}
		seen[k.Value] = true
		if !contains(known, k.Value) {
			fix := "known fields: " + strings.Join(known, ", ")
			if s := domain.Suggest(k.Value, known); len(s) > 0 {
				fix = "did you mean " + s[0] + "? " + fix
			}
			p.fail(k, fmt.Sprintf("unknown field %s.%s", where, k.Value), fix)
			continue
		}
		handle(k.Value, k, v)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(n, fmt.Sprintf("%s must be a string", what), "write it as a single value")
		return "", false
	}
	return n.Value, true
}

func (p *parser) strings(n *yaml.Node, what string) ([]string, []*yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, fmt.Sprintf("%s must be a list", what), "write each item on its own line starting with '- '")
		return nil, nil
	}
	var vals []string
	var nodes []*yaml.Node
	for _, item := range n.Content {
		if s, ok := p.str(item, what+" item"); ok {
			vals = append(vals, s)
			nodes = append(nodes, item)
		}
	}
	return vals, nodes
}

func (p *parser) policy(n *yaml.Node) (domain.Policy, bool) {
	before := len(p.errs)
	pol := domain.Policy{Pos: p.pos(n)}
	var haveAPI, haveKind, haveMeta, haveSpec bool
	p.fields(n, "policy", []string{"apiVersion", "kind", "metadata", "spec"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "apiVersion":
			haveAPI = true
			if s, ok := p.str(v, "apiVersion"); ok && s != APIVersion {
				p.fail(v, fmt.Sprintf("apiVersion %q is not supported", s), "write apiVersion: "+APIVersion)
			}
		case "kind":
			haveKind = true
			if s, ok := p.str(v, "kind"); ok && s != Kind {
				p.fail(v, fmt.Sprintf("kind %q is not supported", s), "write kind: "+Kind)
			}
		case "metadata":
			haveMeta = true
			p.metadata(k, v, &pol)
		case "spec":
			haveSpec = true
			p.spec(k, v, &pol)
		}
	})
	if n.Kind == yaml.MappingNode {
		for _, m := range []struct {
			have bool
			name string
			fix  string
		}{
			{haveAPI, "apiVersion", "add apiVersion: " + APIVersion},
			{haveKind, "kind", "add kind: " + Kind},
			{haveMeta, "metadata", "add metadata: with name: POLICY-NAME"},
			{haveSpec, "spec", "add spec: with scope: and rules:"},
		} {
			if !m.have {
				p.fail(n, "missing "+m.name, m.fix)
			}
		}
	}
	return pol, len(p.errs) == before
}

func (p *parser) metadata(key0, n *yaml.Node, pol *domain.Policy) {
	haveName := false
	p.fields(n, "metadata", []string{"name", "annotations", "labels", "namespace"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			haveName = true
			if s, ok := p.str(v, "metadata.name"); ok {
				if !domain.IsDNS1123(s) {
					p.fail(v, fmt.Sprintf("policy name %q is not a DNS-1123 name", s),
						"use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. "+dnsName(s)+")")
				}
				pol.Name = s
			}
		case "annotations", "labels":
			if v.Kind != yaml.MappingNode {
				p.fail(v, "metadata."+key+" must be a mapping", "write key: value pairs under it")
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				if key == "annotations" && v.Content[i].Value == "description" {
					pol.Description = v.Content[i+1].Value
				}
			}
		}
	})
	if !haveName && n.Kind == yaml.MappingNode {
		p.fail(key0, "missing metadata.name", "add name: POLICY-NAME (DNS-1123: lowercase, digits, '-')")
	}
}

// dnsName suggests a DNS-1123 version of s.
func dnsName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" {
		return "my-policy"
	}
	return out
}

func (p *parser) spec(key0, n *yaml.Node, pol *domain.Policy) {
	haveScope, haveRules := false, false
	p.fields(n, "spec", []string{"scope", "defaultActions", "rules"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "scope":
			haveScope = true
			vals, nodes := p.strings(v, "spec.scope")
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.fail(v, "spec.scope is empty", "write - global for every workload, or scope filters such as - comm=bash")
			}
			for i, s := range vals {
				f, err := domain.ParseScopeFilter(s, p.pos(nodes[i]))
				if err != nil {
					p.errs = append(p.errs, err)
					continue
				}
				pol.Scope = append(pol.Scope, f)
			}
		case "defaultActions":
			vals, nodes := p.strings(v, "spec.defaultActions")
			for i, a := range vals {
				if a != "log" {
					p.fail(nodes[i], fmt.Sprintf("unknown action %q", a), "the only action is log")
				}
			}
			pol.DefaultActions = vals
		case "rules":
			haveRules = true
			p.rules(v, pol)
		}
	})
	if n.Kind != yaml.MappingNode {
		return
	}
	if !haveScope {
		p.fail(key0, "missing spec.scope", "add scope: with - global, or scope filters such as - uid>=1000")
	}
	if !haveRules {
		p.fail(key0, "missing spec.rules", "add rules: with - event: NAME")
	}
}

func (p *parser) rules(n *yaml.Node, pol *domain.Policy) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "spec.rules must be a list", "write each rule as '- event: NAME'")
		return
	}
	if len(n.Content) == 0 {
		p.fail(n, "spec.rules is empty", "add at least one '- event: NAME'")
	}
	for _, item := range n.Content {
		rule := domain.PolicyRule{Pos: p.pos(item)}
		haveEvent := false
		p.fields(item, "rule", []string{"event", "filters"}, func(key string, k, v *yaml.Node) {
			switch key {
			case "event":
				haveEvent = true
				if s, ok := p.str(v, "rule event"); ok {
					rule.Event, rule.Pos = s, p.pos(v)
				}
			case "filters":
				vals, nodes := p.strings(v, "rule filters")
				for i, s := range vals {
					f, err := domain.ParseRuleFilter(s, p.pos(nodes[i]))
					if err != nil {
						p.errs = append(p.errs, err)
						continue
					}
					rule.Filters = append(rule.Filters, f)
				}
			}
		})
		if !haveEvent && item.Kind == yaml.MappingNode {
			p.fail(item, "rule without event", "add event: NAME (run 'tracee list' for names)")
		}
		pol.Rules = append(pol.Rules, rule)
	}
}
