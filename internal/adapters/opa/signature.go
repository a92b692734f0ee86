package opa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The rule names of a Rego signature (Tracee's convention, kept as is).
const (
	ruleMetadoc  = "__rego_metadoc__"
	ruleSelected = "tracee_selected_events"
	ruleMatch    = "tracee_match"
)

// compiledSignature is one version of a Rego signature; a reload swaps it whole.
type compiledSignature struct {
	meta      detect.SignatureMetadata
	selectors []detect.SignatureEventSelector
	match     *evaluator
	shape     inputShape
	keys      fieldSet   // input fields read; nil: all
	pre       *prefilter // nil: every event is evaluated
	source    string     // the file's content, to skip recompiling unchanged files on reload
}

// regoSignature is a detect.Signature backed by a Rego module. OnEvent reads the current version
// once, so an event is evaluated wholly by the old or wholly by the new version of a reload.
type regoSignature struct {
	path     string
	cur      atomic.Pointer[compiledSignature]
	callback detect.SignatureHandler
	inputs   *inputCache // shared by the signatures of one loader
}

// inputCache builds the input document once per event for every Rego signature that sees it:
// the engine hands all of them the same boxed payload, so its address identifies the event. The
// payload is kept referenced, so that address cannot be reused by another event while cached.
type inputCache struct {
	mu      sync.Mutex
	keys    fieldSet // union of the fields the signatures read; nil: all
	shape   inputShape
	payload interface{}
	addr    unsafe.Pointer
	value   *ast.Term
}

func newInputCache() *inputCache { return &inputCache{keys: fieldSet{}} }

// extend makes the cache build every field keys names too (nil: every field). The set only
// grows, so that a version being replaced by a reload is still given what it reads.
func (c *inputCache) extend(keys fieldSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = c.keys.union(keys)
	c.shape, c.payload, c.addr, c.value = shapeFor(c.keys), nil, nil, nil
}

// get returns the input for pe, building it for the first signature that asks.
func (c *inputCache) get(pe protocol.Event, ev *trace.Event) *ast.Term {
	addr, boxed := payloadAddr(pe)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !boxed {
		return ast.NewTerm(c.shape.value(ev)) // a *trace.Event payload may change between calls: no caching
	}
	if c.addr == addr && c.value != nil {
		return c.value
	}
	c.payload, c.addr, c.value = pe.Payload, addr, ast.NewTerm(c.shape.value(ev))
	return c.value
}

func (s *regoSignature) GetMetadata() (detect.SignatureMetadata, error) {
	return s.cur.Load().meta, nil
}

func (s *regoSignature) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return s.cur.Load().selectors, nil
}

func (s *regoSignature) Init(ctx detect.SignatureContext) error {
	if ctx.Callback == nil {
		return errors.New("no callback")
	}
	s.callback = ctx.Callback
	return nil
}

func (s *regoSignature) Close() {}

func (s *regoSignature) OnSignal(detect.Signal) error { return nil }

// OnEvent evaluates tracee_match: true reports a finding without data, an object reports a
// finding with that object as data; false or undefined reports nothing.
func (s *regoSignature) OnEvent(pe protocol.Event) error {
	var ev *trace.Event
	switch p := pe.Payload.(type) {
	case trace.Event:
		addr, _ := payloadAddr(pe)
		ev = (*trace.Event)(addr) // read in place: no copy of the event per signature
	case *trace.Event:
		ev = p
	default:
		return fmt.Errorf("rego signature %s: unsupported payload %T", s.path, pe.Payload)
	}
	c := s.cur.Load()
	if c.pre != nil && !c.pre.mayMatch(ev) {
		return nil
	}
	data, matched, err := c.eval(context.Background(), ev, func() *ast.Term { return s.inputs.get(pe, ev) })
	if err != nil || !matched {
		return err
	}
	s.callback(&detect.Finding{Data: data, Event: pe, SigMetadata: c.meta})
	return nil
}

// eval runs the prepared match query on ev; input builds the input document when OPA needs it.
func (c *compiledSignature) eval(ctx context.Context, ev *trace.Event, input func() *ast.Term) (map[string]interface{}, bool, error) {
	r := eventReader(ev, false)
	v, defined, err := c.match.evalEventGo(ctx, &r, input)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", c.meta.ID, err)
	}
	if !defined {
		return nil, false, nil
	}
	data, matched := interpret(v)
	return data, matched, nil
}

// interpret reads a tracee_match value (as goValue converts it): true (a finding without
// data), an object (its data), false or null (no finding); any other value becomes
// {"value": v}.
func interpret(v interface{}) (map[string]interface{}, bool) {
	switch x := v.(type) {
	case bool:
		return nil, x
	case nil:
		return nil, false
	case map[string]interface{}:
		return x, true
	}
	return map[string]interface{}{"value": v}, true
}

// compileSignature builds a signature from its module and the library modules it may import.
func compileSignature(ctx context.Context, file, source string, mod *ast.Module, libs map[string]*ast.Module) (*compiledSignature, error) {
	modules := make(map[string]*ast.Module, len(libs)+1)
	for k, m := range libs {
		modules[k] = m
	}
	modules[file] = mod
	comp, err := compile(modules)
	if err != nil {
		return nil, err
	}
	pkg := mod.Package.Path.String()
	meta, err := readMetadoc(ctx, comp, pkg, file, mod)
	if err != nil {
		return nil, err
	}
	selectors, err := readSelectors(ctx, comp, pkg, file)
	if err != nil {
		return nil, err
	}
	pq, err := prepare(ctx, comp, pkg+"."+ruleMatch)
	if err != nil {
		return nil, err
	}
	keys := pq.reads
	var pre *prefilter
	if fresh, err := parseModule(file, source); err == nil { // the compiler rewrote mod in place
		pre = buildPrefilter(fresh, !hasHelpersPackage(libs))
	}
	return &compiledSignature{meta: meta, selectors: selectors, match: pq, shape: shapeFor(keys), keys: keys, pre: pre, source: source}, nil
}

func evalOnce(ctx context.Context, comp *ast.Compiler, query string) (interface{}, bool, error) {
	caps, _ := capabilities()
	rs, err := rego.New(rego.Compiler(comp), rego.Capabilities(caps), rego.Query(query)).Eval(ctx)
	if err != nil {
		return nil, false, regoError(err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, false, nil
	}
	return rs[0].Expressions[0].Value, true, nil
}

func readMetadoc(ctx context.Context, comp *ast.Compiler, pkg, file string, mod *ast.Module) (detect.SignatureMetadata, error) {
	var md detect.SignatureMetadata
	v, ok, err := evalOnce(ctx, comp, pkg+"."+ruleMetadoc)
	if err != nil {
		return md, err
	}
	pos := fmt.Sprintf("%s:%d", file, mod.Package.Location.Row)
	if !ok {
		return md, fmt.Errorf("%s: no %s rule; add %s := {\"id\": ..., \"name\": ..., \"eventName\": ...}", pos, ruleMetadoc, ruleMetadoc)
	}
	m, isObj := normalizeNumbers(v).(map[string]interface{})
	if !isObj {
		return md, fmt.Errorf("%s: %s must be an object", pos, ruleMetadoc)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	md = detect.SignatureMetadata{ID: str("id"), Version: str("version"), Name: str("name"), EventName: str("eventName"), Description: str("description")}
	if tags, ok := m["tags"].([]interface{}); ok {
		for _, t := range tags {
			if s, ok := t.(string); ok {
				md.Tags = append(md.Tags, s)
			}
		}
	}
	if props, ok := m["properties"].(map[string]interface{}); ok {
		md.Properties = props
	}
	switch {
	case md.ID == "":
		return md, fmt.Errorf("%s: %s has no \"id\"; add e.g. \"id\": \"MY-1\"", pos, ruleMetadoc)
	case md.EventName == "":
		// Older Tracee Rego signatures have no eventName: derive one from the name, as a
		// Tracee event name would be written ("Anti-Debugging" -> "anti_debugging").
		md.EventName = eventNameFrom(md.Name, md.ID)
	}
	return md, nil
}

func readSelectors(ctx context.Context, comp *ast.Compiler, pkg, file string) ([]detect.SignatureEventSelector, error) {
	v, ok, err := evalOnce(ctx, comp, pkg+"."+ruleSelected)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: no %s rule; add %s contains {\"source\": \"tracee\", \"name\": \"EVENT\"}", file, ruleSelected, ruleSelected)
	}
	items, isList := v.([]interface{})
	if !isList {
		return nil, fmt.Errorf("%s: %s must be a set of {\"source\", \"name\", \"origin\"} objects", file, ruleSelected)
	}
	var out []detect.SignatureEventSelector
	for _, item := range items {
		m, ok := item.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("%s: %s holds %v, not an object", file, ruleSelected, item)
		}
		str := func(k, def string) string {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
			return def
		}
		out = append(out, detect.SignatureEventSelector{Source: str("source", "tracee"), Name: str("name", "*"), Origin: str("origin", "*")})
	}
	return out, nil
}

// payloadAddr is the address of the event boxed in pe's payload, which identifies the event for
// every signature the engine offers it to; false for payloads that are not a boxed trace.Event.
func payloadAddr(pe protocol.Event) (unsafe.Pointer, bool) {
	if _, boxed := pe.Payload.(trace.Event); !boxed {
		return nil, false
	}
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&pe.Payload))[1], true
}

// hasHelpersPackage reports whether a library replaces the built-in tracee.helpers.
func hasHelpersPackage(libs map[string]*ast.Module) bool {
	for _, m := range libs {
		if m.Package.Path.String() == "data.tracee.helpers" {
			return true
		}
	}
	return false
}

// eventNameFrom makes an event name of a signature's name (or ID): lowercase, runs of other
// characters than letters and digits as one '_'.
func eventNameFrom(name, id string) string {
	src := name
	if src == "" {
		src = id
	}
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(src) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			underscore = false
		} else if !underscore && b.Len() > 0 {
			b.WriteByte('_')
			underscore = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}
