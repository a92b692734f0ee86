package opa

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// resultVar is the query variable an evaluator binds to the document it reads.
const resultVar = ast.Var("__tracee_result__")

// partialNamespace holds the support rules partial evaluation writes; modules that use it
// themselves are evaluated without partial evaluation.
const partialNamespace = "tracee_partial_eval"

// evaluator evaluates one document (a rule's value) on an input, prepared once:
//   - partially evaluated against an unknown input where that gives a single query (OPA inlines
//     the rules it reaches into it, so an evaluation runs the rule bodies, not the rule tree);
//   - run by OPA's topdown evaluator directly: no per-evaluation rego context, options, result
//     set or JSON conversion of the result;
//   - on a read transaction of its own empty store opened once, no-op metrics, a never-fired
//     cancel (no goroutine per evaluation) and pooled rule caches;
//   - after an input filter (inputfilter.go) that answers, without OPA, for inputs that cannot
//     give a value, and, for queries left as mere comparisons of input fields with constants, a
//     direct answer (direct.go).
//
// Partial evaluation is skipped when it fails or gives several queries (rules OR-ed whose
// conflicts OPA must see); the plain query then reads the document as compiled.
type evaluator struct {
	compiler *ast.Compiler
	query    ast.Body
	store    storage.Store
	txn      storage.Transaction
	cancel   topdown.Cancel
	caches   sync.Pool // *evalCaches
	partial  bool      // the query is partially evaluated
	reads    fieldSet  // the input fields an evaluation may read; nil: all
	filter   *inputFilter
	direct   *directQuery // answers without OPA when the query is simple enough (direct.go)
}

var noMetrics = metrics.NoOp()

// emptyMetadata is the request metadata of every evaluation: only external data resolvers read
// it, and tracee registers none. Shared so that each evaluation does not allocate one.
var emptyMetadata = map[string]any{}

// prepare prepares the evaluation of ref (e.g. "data.pkg.tracee_match") with comp's modules.
func prepare(ctx context.Context, comp *ast.Compiler, ref string) (*evaluator, error) {
	store := inmem.New()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	e := &evaluator{store: store, txn: txn, cancel: topdown.NewCancel()}
	e.caches.New = func() any { return newEvalCaches() }
	queryText := string(resultVar) + " = " + ref
	if c, q, ok := partiallyEvaluate(ctx, comp, store, queryText); ok {
		e.compiler, e.query, e.partial, e.reads, e.filter = c, q, true, reads(c, q), newInputFilter(c, q)
		e.direct = newDirectQuery(c, q)
		return e, nil
	}
	body, err := ast.ParseBody(queryText)
	if err != nil {
		return nil, err
	}
	q, err := comp.QueryCompiler().Compile(body)
	if err != nil {
		return nil, regoError(err)
	}
	e.compiler, e.query, e.reads, e.filter = comp, q, reads(comp, q), newInputFilter(comp, q)
	e.direct = newDirectQuery(comp, q)
	return e, nil
}

// reads finds the input fields query may read in c: in the query and the rules it reaches.
func reads(c *ast.Compiler, query ast.Body) fieldSet {
	nodes := []interface{}{query}
	seen := map[*ast.Rule]bool{}
	var visit func(x interface{})
	visit = func(x interface{}) {
		ast.WalkRefs(x, func(r ast.Ref) bool {
			if !r[0].Equal(ast.DefaultRootDocument) {
				return false
			}
			for _, rule := range c.GetRules(r) { // the rules at r, below it and above it
				if !seen[rule] {
					seen[rule] = true
					nodes = append(nodes, rule)
					visit(rule)
				}
			}
			return false
		})
	}
	visit(query)
	return inputKeys(nodes...)
}

// partiallyEvaluate runs OPA's partial evaluation of query with the input unknown: the compiler
// with the support rules it wrote and the residual query. ok is false when it fails or gives
// other than one query, so that the caller evaluates query as written.
func partiallyEvaluate(ctx context.Context, comp *ast.Compiler, store storage.Store, query string) (*ast.Compiler, ast.Body, bool) {
	ns := ast.MustParseRef("data." + partialNamespace)
	for _, m := range comp.Modules {
		if m.Package.Path.HasPrefix(ns) {
			return nil, nil, false
		}
	}
	caps, _ := capabilities()
	pq, err := rego.New(rego.Compiler(comp), rego.Capabilities(caps), rego.Store(store), rego.Query(query),
		rego.PartialNamespace(partialNamespace)).Partial(ctx)
	if err != nil || len(pq.Queries) != 1 {
		return nil, nil, false
	}
	c := comp
	if len(pq.Support) > 0 {
		modules := make(map[string]*ast.Module, len(comp.Modules)+len(pq.Support))
		for k, m := range comp.Modules {
			modules[k] = m
		}
		for i, m := range pq.Support {
			modules[fmt.Sprintf("__%s_%d__", partialNamespace, i)] = m
		}
		c = ast.NewCompiler().WithStrict(false).WithCapabilities(caps)
		if c.Compile(modules); c.Failed() {
			return nil, nil, false
		}
	}
	q, err := c.QueryCompiler().Compile(pq.Queries[0])
	if err != nil {
		return nil, nil, false
	}
	return c, q, true
}

// eval evaluates the document on input: its value, or nil when undefined. Safe for concurrent
// use. Several solutions with different values are a conflict, as OPA reports for a complete rule.
func (e *evaluator) eval(ctx context.Context, input *ast.Term) (*ast.Term, error) {
	r := docReader(input.Value)
	if out, ok := e.answer(&r); ok {
		return out, nil
	}
	return e.evalOPA(ctx, input)
}

// evalEvent evaluates the document on an event read by r; doc builds the input document, called
// only when OPA must evaluate it.
func (e *evaluator) evalEvent(ctx context.Context, r *inputReader, doc func() *ast.Term) (*ast.Term, error) {
	if out, ok := e.answer(r); ok {
		return out, nil
	}
	return e.evalOPA(ctx, doc())
}

// evalEventGo is evalEvent's result as Go values (goValue); defined is false when undefined.
func (e *evaluator) evalEventGo(ctx context.Context, r *inputReader, doc func() *ast.Term) (interface{}, bool, error) {
	if e.direct != nil {
		if v, s := e.direct.evalGo(r); s != stateUnknown {
			return v, s == stateDefined, nil
		}
	}
	t, err := e.evalEvent(ctx, r, doc)
	if err != nil || t == nil {
		return nil, false, err
	}
	v, err := goValue(t.Value)
	return v, true, err
}

// answer is the result without OPA: the direct answer, or the filter's for an input that cannot
// give a value; false when OPA must evaluate.
func (e *evaluator) answer(r *inputReader) (*ast.Term, bool) {
	if e.direct != nil {
		if out, ok := e.direct.eval(r); ok {
			return out, true
		}
	}
	if e.filter != nil && !e.filter.pass(r) {
		return e.filter.rejected, true
	}
	return nil, false
}

// evalOPA runs the prepared query on input with OPA's evaluator.
func (e *evaluator) evalOPA(ctx context.Context, input *ast.Term) (*ast.Term, error) {
	c := e.caches.Get().(*evalCaches)
	defer e.caches.Put(c)
	c.reset()
	q := topdown.NewQuery(e.query).
		WithCompiler(e.compiler).
		WithStore(e.store).
		WithTransaction(e.txn).
		WithCancel(e.cancel).
		WithMetrics(noMetrics).
		WithInput(input).
		WithVirtualCache(&c.rules).
		WithBaseCache(noBaseCache{}).
		WithRequestMetadata(emptyMetadata).
		WithIndexing(true).
		WithEarlyExit(true)
	err := q.Iter(ctx, c.collect)
	out := c.out
	c.out = nil
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errConflict = errors.New("eval_conflict_error: complete rules must not produce multiple outputs")

// evalCaches are the per-evaluation caches and result, reused across evaluations.
type evalCaches struct {
	rules   ruleCache
	out     *ast.Term
	collect func(topdown.QueryResult) error // c.result, bound once
}

func newEvalCaches() *evalCaches {
	c := &evalCaches{}
	c.collect = c.result
	return c
}

func (c *evalCaches) reset() { c.rules.reset(); c.out = nil }

// result keeps the value a solution binds; solutions that disagree are a conflict.
func (c *evalCaches) result(qr topdown.QueryResult) error {
	v := qr[resultVar]
	switch {
	case v == nil:
	case c.out == nil:
		c.out = v
	case !c.out.Equal(v):
		return errConflict
	}
	return nil
}

// noBaseCache caches no base document: the store is empty, so every read is a cheap miss.
type noBaseCache struct{}

func (noBaseCache) Get(ast.Ref) ast.Value  { return nil }
func (noBaseCache) Put(ast.Ref, ast.Value) {}

// ruleCache is topdown's virtual document cache (rule values already computed, per `with` frame)
// in flat slices that an evaluation reuses: OPA's own allocates a tree of maps per evaluation.
// It is a memo only; past maxRuleCacheEntries per frame it stops recording, which costs
// recomputation, never a different result.
type ruleCache struct {
	terms   []*ast.Term // the refs of all entries, back to back
	entries []ruleCacheEntry
	frames  []int // index in entries where each frame starts
}

type ruleCacheEntry struct {
	start, end int // the ref is terms[start:end]
	value      *ast.Term
	undefined  bool
}

const maxRuleCacheEntries = 64

func (c *ruleCache) reset() {
	clear(c.terms) // drop references to the last evaluation's terms
	clear(c.entries)
	c.terms, c.entries, c.frames = c.terms[:0], c.entries[:0], append(c.frames[:0], 0)
}

func (c *ruleCache) Push() { c.frames = append(c.frames, len(c.entries)) }

func (c *ruleCache) Pop() {
	start := c.frames[len(c.frames)-1]
	c.frames = c.frames[:len(c.frames)-1]
	if start < len(c.entries) {
		c.terms = c.terms[:c.entries[start].start]
		c.entries = c.entries[:start]
	}
}

func (c *ruleCache) find(ref ast.Ref) int {
	for i := len(c.entries) - 1; i >= c.frames[len(c.frames)-1]; i-- {
		en := &c.entries[i]
		if en.end-en.start != len(ref) {
			continue
		}
		same := true
		for j, t := range c.terms[en.start:en.end] {
			if !t.Equal(ref[j]) {
				same = false
				break
			}
		}
		if same {
			return i
		}
	}
	return -1
}

func (c *ruleCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if i := c.find(ref); i >= 0 {
		return c.entries[i].value, c.entries[i].undefined
	}
	return nil, false
}

func (c *ruleCache) Put(ref ast.Ref, value *ast.Term) {
	if i := c.find(ref); i >= 0 {
		c.entries[i].value, c.entries[i].undefined = value, value == nil
		return
	}
	if len(c.entries)-c.frames[len(c.frames)-1] >= maxRuleCacheEntries {
		return
	}
	start := len(c.terms)
	c.terms = append(c.terms, ref...) // the terms, not ref: topdown reuses its key slices
	c.entries = append(c.entries, ruleCacheEntry{start: start, end: len(c.terms), value: value, undefined: value == nil})
}

func (c *ruleCache) Keys() []ast.Ref {
	var keys []ast.Ref
	for _, en := range c.entries[c.frames[len(c.frames)-1]:] {
		if en.value != nil {
			keys = append(keys, ast.Ref(append([]*ast.Term(nil), c.terms[en.start:en.end]...)))
		}
	}
	return keys
}

// goValue converts a Rego value to Go values as OPA's JSON conversion does, but with integers
// as int (so that Severity properties read as numbers) and other numbers as float64.
func goValue(v ast.Value) (interface{}, error) {
	switch x := v.(type) {
	case ast.Null:
		return nil, nil
	case ast.Boolean:
		return bool(x), nil
	case ast.String:
		return string(x), nil
	case ast.Number:
		if i, ok := x.Int64(); ok && i >= math.MinInt && i <= math.MaxInt {
			return int(i), nil
		}
		f, _ := x.Float64()
		return f, nil
	case *ast.Array:
		out := make([]interface{}, x.Len())
		for i := range out {
			item, err := goValue(x.Elem(i).Value)
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	case ast.Set:
		terms := x.Slice() // in Iter's order
		if len(terms) == 0 {
			return emptyList, nil
		}
		out := make([]interface{}, len(terms))
		for i, t := range terms {
			item, err := goValue(t.Value)
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	case ast.Object:
		out := make(map[string]interface{}, x.Len())
		err := x.Iter(func(k, t *ast.Term) error {
			key, isString := k.Value.(ast.String)
			if !isString {
				return errNonStringKey
			}
			item, err := goValue(t.Value)
			out[string(key)] = item
			return err
		})
		if errors.Is(err, errNonStringKey) {
			return toGo(v) // OPA writes other keys as JSON
		}
		return out, err
	}
	return toGo(v)
}

var errNonStringKey = errors.New("non-string key")

// emptyList is the Go value of an empty set, boxed once: a decision a filter rejects is one.
var emptyList interface{} = []interface{}{}
