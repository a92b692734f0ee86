package domain

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// maxChainDepth bounds signatures that select other signatures' events, so a cycle cannot recurse forever.
const maxChainDepth = 4

// EngineConfig tunes the engine's fault handling.
type EngineConfig struct {
	// DisableAfterPanics disables a signature once it has panicked this many times (default 100).
	DisableAfterPanics uint64
	// LogEvery bounds repeated log lines per signature (default 10s).
	LogEvery time.Duration
	// DataSources are served to signatures beside the built-in ones (tracee/process_tree,
	// tracee/containers); typically the plugins' ExportedDataSources.
	DataSources []LoadedDataSource
	// MaxProcesses and MaxContainers bound the built-in data sources (0: the defaults).
	MaxProcesses, MaxContainers int
}

// FindingEmitter receives the signature events the engine produces. It is called synchronously
// on the dispatching goroutine and must not keep ev after returning.
type FindingEmitter func(ev *trace.Event)

// Engine runs signatures over events. It is not safe for concurrent Dispatch: one goroutine feeds it,
// as signatures themselves are written for serial delivery. Stats may be read from any goroutine.
type Engine struct {
	cfg       EngineConfig
	log       *slog.Logger
	emit      FindingEmitter
	sigs      []*runningSignature
	byName    map[string][]selection // exact event names of source "tracee"
	wildcards []selection            // name "*"
	stats     EngineStats

	dataSources *DataSources
	procs       *ProcessTree
	containers  *Containers
	// observing turns on once a signature asks for a built-in data source: until then events
	// cost the built-ins nothing.
	observing bool
	watch     callWatch
}

// EngineStats are the engine's counters.
type EngineStats struct {
	Events   atomic.Uint64 // events offered to Dispatch
	Matched  atomic.Uint64 // events that at least one signature selected
	Findings atomic.Uint64
	Errors   atomic.Uint64 // OnEvent errors
	Panics   atomic.Uint64
	// Abandoned counts signature calls that did not return within the watchdog's bound: each
	// disabled its signature, and the goroutine stuck in it was left behind.
	Abandoned atomic.Uint64
}

type selection struct {
	sig    *runningSignature
	origin string // "" means any
}

type runningSignature struct {
	LoadedSignature
	eventID   int
	place     int // in Engine.sigs, plus one: what a callWord names
	panics    uint64
	errors    uint64
	disabled  atomic.Bool // set by the watchdog too
	abandoned atomic.Bool // a call to it did not return in time; its goroutine was left behind
	completed bool        // told that the source ended
	lastLog   time.Time
	muted     uint64 // lines suppressed since lastLog
}

// NewEngine initialises every signature (a failing or panicking Init drops that signature with a
// LoadProblem; the others run) and builds the dispatch index once.
func NewEngine(cfg EngineConfig, sigs []LoadedSignature, catalog *Catalog, emit FindingEmitter, log *slog.Logger) (*Engine, []LoadProblem) {
	if cfg.DisableAfterPanics == 0 {
		cfg.DisableAfterPanics = 100
	}
	if cfg.LogEvery == 0 {
		cfg.LogEvery = 10 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if emit == nil {
		emit = func(*trace.Event) {}
	}
	e := &Engine{cfg: cfg, log: log.With("component", "engine"), emit: emit, byName: map[string][]selection{},
		procs: NewProcessTree(cfg.MaxProcesses), containers: NewContainers(cfg.MaxContainers)}
	builtins := []LoadedDataSource{{Source: e.procs, Origin: BuiltinOrigin}, {Source: e.containers, Origin: BuiltinOrigin}}
	var problems []LoadProblem
	e.dataSources, problems = NewDataSources(append(builtins, cfg.DataSources...)...)
	for _, ls := range sigs {
		rs := &runningSignature{LoadedSignature: ls}
		if def, ok := catalog.Lookup(ls.Info.Metadata.EventName); ok {
			rs.eventID = def.ID
		}
		if len(e.sigs) >= maxSignatures {
			problems = append(problems, LoadProblem{Path: ls.Info.Origin,
				Cause: fmt.Sprintf("signature %s: more than %d signatures", ls.Info.Metadata.ID, maxSignatures),
				Fix:   "load fewer signatures (select them with -e or split the --signatures-dir)"})
			continue
		}
		if missing, err := e.initSignature(rs); err != nil {
			fix := "fix the signature's Init (it must not fail or panic) and rebuild the plugin"
			if len(missing) > 0 {
				fix = fmt.Sprintf("it asked for data source %s, which nothing provides: tracee serves %s; "+
					"another one must be exported (ExportedDataSources) by a plugin in a --signatures-dir",
					strings.Join(missing, ", "), strings.Join(e.dataSources.Names(), ", "))
			}
			problems = append(problems, LoadProblem{Path: ls.Info.Origin,
				Cause: fmt.Sprintf("signature %s: Init: %v", ls.Info.Metadata.ID, err), Fix: fix})
			continue
		}
		e.sigs = append(e.sigs, rs)
		rs.place = len(e.sigs)
		for _, sel := range ls.Info.Selectors {
			if sel.Source != "" && sel.Source != "*" && sel.Source != trace.EventSource {
				continue // another producer's events never reach this agent
			}
			origin := sel.Origin
			if origin == "*" {
				origin = ""
			}
			entry := selection{sig: rs, origin: origin}
			if sel.Name == "*" || sel.Name == "" {
				e.wildcards = append(e.wildcards, entry)
			} else {
				e.byName[sel.Name] = append(e.byName[sel.Name], entry)
			}
		}
	}
	return e, problems
}

// initSignature calls Init and returns, with its error, the data sources Init asked for in vain.
func (e *Engine) initSignature(rs *runningSignature) (missing []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	ctx := detect.SignatureContext{
		Callback: func(f *detect.Finding) { e.onFinding(rs, f) },
		Logger:   signatureLogger{e.log.With("signature", rs.Info.Metadata.ID)},
		GetDataSource: func(namespace, id string) (detect.DataSource, bool) {
			ds, ok := e.getDataSource(namespace, id)
			if !ok {
				missing = append(missing, dataSourceKey(namespace, id))
			}
			return ds, ok
		},
	}
	err = rs.Signature.Init(ctx)
	return missing, err
}

func (e *Engine) getDataSource(namespace, id string) (detect.DataSource, bool) {
	ds, ok := e.dataSources.Get(namespace, id)
	if ok && (ds == detect.DataSource(e.procs) || ds == detect.DataSource(e.containers)) {
		e.observing = true
	}
	return ds, ok
}

// Selects reports whether any signature selects events called name.
func (e *Engine) Selects(name string) bool {
	return len(e.byName[name]) > 0 || len(e.wildcards) > 0
}

// Dispatch offers ev to every signature that selects it. Events nobody selects cost a map lookup
// and no allocation. It reports whether some signature was offered ev: signatures see ev itself
// (the payload is not a copy) and may keep it, so such an event must never be changed or reused.
func (e *Engine) Dispatch(ev *trace.Event) (offered bool) {
	offered, _ = e.dispatch(ev, e.watch.load(), 0)
	return offered
}

// dispatch offers ev to the signatures at depth (0, or one deeper than the call outer whose
// finding ev is) and says whether any selects it. The calls are chained from outer's word; after
// the last, the word goes back to outer, or to idle at depth 0. ok is false when the watchdog
// abandoned a call on the way: the caller must then return without touching the engine.
func (e *Engine) dispatch(ev *trace.Event, outer callWord, depth int) (offered, ok bool) {
	e.stats.Events.Add(1)
	if e.observing {
		e.procs.Observe(ev)
		e.containers.Observe(ev)
	}
	exact := e.byName[ev.EventName]
	if len(exact) == 0 && len(e.wildcards) == 0 {
		return false, true
	}
	e.stats.Matched.Add(1)
	e.watch.ev.Store(ev)
	// Same as ev.ToProtocol(), without its copies of the event: the payload is ev itself, shared by
	// every signature.
	origin := string(ev.Origin())
	pe := protocol.Event{
		Headers: protocol.EventHeaders{Selector: protocol.Selector{Name: ev.EventName, Origin: origin, Source: trace.EventSource}},
		Payload: eventPayload(ev),
	}
	w, ok := outer, true
	for _, s := range exact {
		if s.origin == "" || s.origin == origin {
			if w, ok = e.call(s.sig, pe, w, depth); !ok {
				return true, false // abandoned by the watchdog: this goroutine touches nothing more
			}
		}
	}
	for _, s := range e.wildcards {
		if s.origin == "" || s.origin == origin {
			if w, ok = e.call(s.sig, pe, w, depth); !ok {
				return true, false
			}
		}
	}
	if w == outer {
		return true, true
	}
	back := outer
	if depth == 0 {
		back = w.idle()
	}
	return true, e.watch.move(w, back)
}

// call runs one OnEvent under the watchdog's eye, chained from the word prev, and returns its own
// word. It returns false when the watchdog abandoned prev's call or this one: the caller must then
// return without touching the engine.
func (e *Engine) call(rs *runningSignature, pe protocol.Event, prev callWord, depth int) (w callWord, ok bool) {
	if rs.disabled.Load() {
		return prev, true
	}
	w = prev.next(rs.place, depth)
	if !e.watch.move(prev, w) {
		return prev, false
	}
	defer func() {
		if r := recover(); r != nil {
			if ok = e.watch.load() == w; ok {
				e.onPanic(rs, r)
			}
		}
	}()
	if err := rs.Signature.OnEvent(pe); err != nil && e.watch.load() == w {
		rs.errors++
		e.stats.Errors.Add(1)
		e.rateLimited(rs, "signature OnEvent failed", "error", err, "errors", rs.errors)
	}
	return w, true
}

func (e *Engine) onPanic(rs *runningSignature, r interface{}) {
	rs.panics++
	e.stats.Panics.Add(1)
	if rs.panics >= e.cfg.DisableAfterPanics {
		rs.disabled.Store(true)
		e.log.Error("signature disabled after repeated panics; fix it and restart the agent",
			"signature", rs.Info.Metadata.ID, "origin", rs.Info.Origin, "panics", rs.panics, "last", fmt.Sprint(r))
		return
	}
	e.rateLimited(rs, "signature panicked; recovered", "panic", fmt.Sprint(r), "panics", rs.panics)
}

// rateLimited logs at most once per LogEvery per signature, saying how many lines it held back.
func (e *Engine) rateLimited(rs *runningSignature, msg string, attrs ...any) {
	now := time.Now()
	if !rs.lastLog.IsZero() && now.Sub(rs.lastLog) < e.cfg.LogEvery {
		rs.muted++
		return
	}
	attrs = append(attrs, "signature", rs.Info.Metadata.ID, "suppressed", rs.muted)
	rs.lastLog, rs.muted = now, 0
	e.log.Warn(msg, attrs...)
}

func (e *Engine) onFinding(rs *runningSignature, f *detect.Finding) {
	if e.watch.abandoned(rs) {
		return // a late finding from an abandoned call: the pipeline has moved on
	}
	e.stats.Findings.Add(1)
	if f.SigMetadata.EventName == "" {
		f.SigMetadata = rs.Info.Metadata
	}
	ev := FindingToEvent(f, rs.eventID)
	e.emit(&ev)
	// Signatures may select other signatures' events, as in Tracee: dispatched from inside the
	// call that reported the finding (one that is not, a late one, goes to the outputs only).
	outer := e.watch.load()
	if outer.sig() == rs.place && outer.depth() < maxChainDepth && len(e.byName[ev.EventName]) > 0 {
		was := e.watch.ev.Load()
		if _, ok := e.dispatch(&ev, outer, outer.depth()+1); ok {
			e.watch.ev.Store(was) // the outer call's event, should the watchdog report that call
		}
	}
}

// Complete tells every signature that the event source has ended. Abandoned signatures are skipped.
func (e *Engine) Complete() {
	for _, rs := range e.sigs {
		if rs.completed || rs.disabled.Load() {
			continue
		}
		rs.completed = true // before the call: if it is abandoned, a new goroutine goes on with the next
		if !e.signal(rs, detect.SignalSourceComplete(trace.EventSource)) {
			return
		}
	}
}

func (e *Engine) signal(rs *runningSignature, sig detect.Signal) (ok bool) {
	e.watch.ev.Store(nil)
	prev := e.watch.load()
	w := prev.next(rs.place, 0)
	if !e.watch.move(prev, w) {
		return false
	}
	defer func() {
		r := recover()
		if ok = e.watch.move(w, w.idle()); ok && r != nil {
			e.onPanic(rs, r)
		}
	}()
	if err := rs.Signature.OnSignal(sig); err != nil && e.watch.load() == w {
		e.rateLimited(rs, "signature OnSignal failed", "error", err)
	}
	return true
}

// Close closes every signature; a panicking Close is logged and the rest still close. Signatures
// the watchdog abandoned are not closed: their goroutine may still be inside them.
func (e *Engine) Close() {
	for _, rs := range e.sigs {
		if e.watch.abandoned(rs) {
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					e.log.Warn("signature Close panicked", "signature", rs.Info.Metadata.ID, "panic", fmt.Sprint(r))
				}
			}()
			rs.Signature.Close()
		}()
	}
}

// Stats returns the engine's live counters.
func (e *Engine) Stats() *EngineStats { return &e.stats }

// Signatures returns the signatures that initialised and run.
func (e *Engine) Signatures() []SignatureInfo {
	out := make([]SignatureInfo, 0, len(e.sigs))
	for _, rs := range e.sigs {
		out = append(out, rs.Info)
	}
	return out
}

// signatureLogger adapts slog to detect.Logger.
type signatureLogger struct{ log *slog.Logger }

func (l signatureLogger) Debugw(msg string, kv ...interface{}) { l.log.Debug(msg, kv...) }
func (l signatureLogger) Infow(msg string, kv ...interface{})  { l.log.Info(msg, kv...) }
func (l signatureLogger) Warnw(msg string, kv ...interface{})  { l.log.Warn(msg, kv...) }
func (l signatureLogger) Errorw(msg string, kv ...interface{}) { l.log.Error(msg, kv...) }
