package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Agent runs one pass of the pipeline: source -> engine -> finding policy -> outputs.
type Agent struct {
	source   ports.EventSource
	recycler ports.EventRecycler // the source, when it reuses the events handed back; nil: none
	inflight atomic.Pointer[inflightBatch]
	engine   *domain.Engine
	policy   ports.PolicyEvaluator // optional: finding policies
	policies *domain.Policies      // optional: Tracee policies (scope, rules, filters)
	outputs  *Outputs
	sel      domain.Selection
	log      *slog.Logger
	ctx      context.Context // set for the duration of Run, for the policy evaluator
	counters agentCounters
	bound    time.Duration // the watchdog's bound on one signature call
	storms   *stormLimiter // nil: no limit
	// containers fills container names, images and pods from the runtimes; nil: IDs only.
	containers *ContainerEnricher
}

// findingSettle bounds how long a finding of a container whose lookup is under way waits for the
// runtime's answer (once per container at most).
const findingSettle = 250 * time.Millisecond

// DefaultCallBound is how long one signature call (OnEvent, OnSignal) may run before the watchdog
// disables the signature and detection goes on without it.
const DefaultCallBound = 5 * time.Second

// pipelineQueue is the number of batches of events between the source and the pipeline goroutine
// (a batching source hands over up to a few dozen events at once, another source one at a time).
const pipelineQueue = 1024

// recycleBatch is how many events the pipeline hands back to a recycling source at once.
const recycleBatch = 64

// outputCloseTimeout bounds the flush of every output at shutdown.
const outputCloseTimeout = 30 * time.Second

// AgentDeps are the agent's collaborators. Engine is built by NewAgent from Signatures.
type AgentDeps struct {
	Source ports.EventSource
	Policy ports.PolicyEvaluator
	// Policies, when active, decide per event what is emitted and what signatures see, and set
	// MatchedPolicies; otherwise Selection.Emit decides.
	Policies   *domain.Policies
	Outputs    *Outputs
	Catalog    *domain.Catalog
	Selection  domain.Selection
	Signatures []domain.LoadedSignature
	EngineCfg  domain.EngineConfig
	Log        *slog.Logger
	// StallAfter is how long Health tolerates no event at all (default DefaultStallAfter).
	StallAfter time.Duration
	// CallBound bounds one signature call (default DefaultCallBound).
	CallBound time.Duration
	// FindingRate is how many findings per second one signature may report for one process or
	// container; the rest are summarised into the next (0: DefaultFindingRate, negative: no limit).
	FindingRate int
	// Containers, when set, enriches events with the container runtimes' answers (--enrichment container).
	Containers *ContainerEnricher
}

// NewAgent initialises the signatures the selection runs and returns the problems of those whose
// Init failed (they are left out; the others run).
func NewAgent(d AgentDeps) (*Agent, []domain.LoadProblem) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.CallBound <= 0 {
		d.CallBound = DefaultCallBound
	}
	if d.FindingRate == 0 {
		d.FindingRate = DefaultFindingRate
	}
	a := &Agent{source: d.Source, policy: d.Policy, policies: d.Policies, outputs: d.Outputs, sel: d.Selection, log: d.Log,
		bound: d.CallBound, storms: newStormLimiter(d.FindingRate), containers: d.Containers}
	a.recycler, _ = d.Source.(ports.EventRecycler)
	var run []domain.LoadedSignature
	for _, s := range d.Signatures {
		if d.Selection.Signatures[s.Info.Metadata.EventName] {
			run = append(run, s)
		}
	}
	a.counters.init(d.StallAfter)
	var problems []domain.LoadProblem
	a.engine, problems = domain.NewEngine(d.EngineCfg, run, d.Catalog, a.onSignatureEvent, d.Log)
	a.counters.signatures, a.counters.disabled = len(a.engine.Signatures()), len(problems)
	return a, problems
}

// Engine exposes the engine (for stats).
func (a *Agent) Engine() *domain.Engine { return a.engine }

// Outputs exposes the outputs (for stats).
func (a *Agent) Outputs() *Outputs { return a.outputs }

// Run streams the source through the engine until the source ends or ctx is cancelled, then
// signals completion, closes the signatures and drains the outputs.
//
// The engine runs on a pipeline goroutine, watched: a signature call that does not return within
// the bound is abandoned with its goroutine (domain.Engine.Watch), and a new pipeline goroutine
// goes on with the next event. The pipeline pulls its batches from a ports.PullSource (the eBPF
// source: reading, decoding and detection on one goroutine; at 500 K events/s that took the
// agent's CPU per event from 0.6-0.7 us to 0.4 us, docs/benchmarks/ebpf.md); any other source
// runs on Run's goroutine and hands its events over one at a time through a queue.
func (a *Agent) Run(ctx context.Context) error {
	a.ctx = ctx
	a.counters.runStarted(time.Now())
	if ps, ok := a.source.(ports.PullSource); ok {
		return a.end(ctx, a.runPulling(ctx, ps))
	}
	events := make(chan []*trace.Event, pipelineQueue)
	fromQueue := func() ([]*trace.Event, bool) {
		evs, ok := <-events
		return evs, ok
	}
	wait := a.startPipelines(func() func() ([]*trace.Event, bool) { return fromQueue })
	err := a.source.Run(ctx, a.sel, func(ev *trace.Event) { events <- []*trace.Event{ev} })
	close(events)
	wait() // the live pipeline drained the queue and completed the signatures
	return a.end(ctx, err)
}

// runPulling is Run for a source the pipeline pulls from: the pipeline goroutine reads, decodes
// and detects. A pipeline started in place of an abandoned one pulls from where it stopped, with
// its own buffer (the abandoned one's batch may still be in use).
func (a *Agent) runPulling(ctx context.Context, ps ports.PullSource) error {
	batches, err := ps.Open(ctx, a.sel)
	if err != nil {
		a.engine.Complete() // as when a source fails before its first event
		return err
	}
	var (
		errMu   sync.Mutex
		pullErr error
	)
	wait := a.startPipelines(func() func() ([]*trace.Event, bool) {
		buf := make([]*trace.Event, 0, recycleBatch)
		return func() ([]*trace.Event, bool) {
			evs, err := batches.Next(ctx, buf[:0])
			if err != nil {
				errMu.Lock()
				pullErr = err
				errMu.Unlock()
			}
			if len(evs) > 0 {
				buf = evs // done with when the pipeline asks for the next batch
			}
			return evs, len(evs) > 0
		}
	})
	wait() // the live pipeline pulled until the source ended and completed the signatures
	cerr := batches.Close()
	errMu.Lock()
	defer errMu.Unlock()
	if pullErr != nil {
		return pullErr
	}
	if cerr != nil {
		return fmt.Errorf("close source: %w", cerr)
	}
	return nil
}

// startPipelines starts the pipeline goroutine, watched: for every call the watchdog finds
// stuck, a new pipeline goes on in its place. Each pipeline takes its batches from a next of its
// own (newNext). wait returns once the live pipeline finished, and stops the watchdog.
func (a *Agent) startPipelines(newNext func() func() ([]*trace.Event, bool)) (wait func()) {
	finished := make(chan struct{})
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(a.ctx))
	go a.engine.Watch(watchCtx, a.bound, func(domain.StuckCall) { go a.pipeline(newNext(), finished) })
	go a.pipeline(newNext(), finished)
	return func() {
		<-finished
		stopWatch()
	}
}

// end records how the source ended, closes the signatures and drains the outputs.
func (a *Agent) end(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	a.counters.runEnded(err)
	a.engine.Close()
	// Outputs get a bounded time to flush; what a sink cannot send by then it spools or reports.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outputCloseTimeout)
	defer cancel()
	if cerr := a.outputs.Close(closeCtx); cerr != nil && err == nil {
		err = fmt.Errorf("close outputs: %w", cerr)
	}
	return err
}

// pipeline runs events through the engine until the queue is closed, then tells the signatures
// that the source ended. A pipeline whose goroutine was abandoned by the watchdog (the count of
// abandoned calls moved) stops without touching anything; the one started in its place first
// finishes the batch the abandoned one was in, from the event after the stuck one, then goes on.
// An event no output queued and no signature was offered goes back to a recycling source.
func (a *Agent) pipeline(next func() ([]*trace.Event, bool), finished chan<- struct{}) {
	abandoned := a.engine.Stats().Abandoned.Load()
	live := func() bool { return a.engine.Stats().Abandoned.Load() == abandoned }
	var free []*trace.Event
	run := func(b *inflightBatch) bool {
		for {
			i := int(b.next.Add(1)) - 1
			if i >= len(b.events) {
				return true
			}
			ev := b.events[i]
			kept := a.onEvent(ev)
			if !live() {
				return false
			}
			if !kept && a.recycler != nil {
				free = append(free, ev)
				if len(free) == recycleBatch {
					a.recycler.Recycle(free)
					free = make([]*trace.Event, 0, recycleBatch)
				}
			}
		}
	}
	if b := a.inflight.Load(); b != nil && !run(b) { // the batch of the pipeline this one replaces
		return
	}
	for evs, ok := next(); ok; evs, ok = next() {
		b := &inflightBatch{events: evs}
		a.inflight.Store(b)
		if !run(b) {
			return
		}
	}
	if len(free) > 0 {
		a.recycler.Recycle(free)
	}
	a.engine.Complete()
	if live() {
		close(finished)
	}
}

// inflightBatch is the batch a pipeline works through: next is the index of the next event to
// take, so that a pipeline started in place of an abandoned one goes on after the stuck event.
type inflightBatch struct {
	events []*trace.Event
	next   atomic.Int64
}

// onEvent runs one event through enrichment, the outputs and the engine; it says whether ev is
// kept: an output queued it or a signature was offered it (signatures see the event itself).
func (a *Agent) onEvent(ev *trace.Event) (kept bool) {
	a.counters.event(ev.EventName)
	if a.containers != nil {
		a.containers.Enrich(ev)
	}
	emit, dispatch := a.decide(ev)
	if emit {
		kept = a.outputs.Write(ev)
	}
	switch {
	case !dispatch:
		if !emit {
			a.counters.filtered.Add(1)
		}
	case a.counters.sampleDue():
		start := time.Now()
		kept = a.engine.Dispatch(ev) || kept
		a.counters.observeDispatch(time.Since(start))
	default:
		kept = a.engine.Dispatch(ev) || kept
	}
	return kept
}

// decide says whether ev goes to the outputs and to the signatures: by the policies when there
// are any, else by the -e selection (every event the source produced is for the signatures).
func (a *Agent) decide(ev *trace.Event) (emit, dispatch bool) {
	if a.policies != nil && a.policies.Active() {
		return a.policies.Match(ev)
	}
	return a.sel.Emit[ev.EventName], true
}

// onSignatureEvent runs the finding policy, then hands the event to the outputs. The engine reuses
// nothing of ev after this returns, but outputs keep it, so it is copied once here.
func (a *Agent) onSignatureEvent(ev *trace.Event) {
	a.counters.finding(ev)
	out := *ev
	if emit, _ := a.decide(&out); !emit {
		return
	}
	if a.containers != nil {
		a.containers.Settle(a.ctx, &out, findingSettle)
	}
	if a.policy != nil {
		verdict, err := a.policy.EvaluateFinding(a.ctx, &out)
		if err != nil {
			if a.counters.policyErrors.Add(1) == 1 {
				a.log.Error("finding policy failed; the finding is kept", "error", err)
			}
		} else if verdict.Suppress {
			a.counters.suppressed.Add(1)
			a.log.Debug("finding suppressed by policy", "event", out.EventName, "reason", verdict.Reason)
			return
		}
	}
	if !a.storms.allow(&out) {
		a.counters.stormSuppressed.Add(1)
		return
	}
	a.outputs.Write(&out)
}
