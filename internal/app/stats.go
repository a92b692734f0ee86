package app

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DispatchSampleEvery is how often the signatures' time per event is measured: one event in this
// many, so the clock is not read on every event of the hot path.
const DispatchSampleEvery = 64

// DefaultStallAfter is how long the pipeline may go without an event before Health reports it.
const DefaultStallAfter = 60 * time.Second

// dispatchBounds are the latency histogram's upper bounds.
var dispatchBounds = []time.Duration{
	time.Microsecond, 2500 * time.Nanosecond, 5 * time.Microsecond, 10 * time.Microsecond,
	25 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond,
	500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, time.Second,
}

const (
	runNotStarted int32 = iota
	runRunning
	runEnded
)

// agentCounters are the agent's counters. The agent goroutine writes them; any goroutine reads them
// through Stats and Health.
type agentCounters struct {
	filtered, suppressed, policyErrors atomic.Uint64
	stormSuppressed                    atomic.Uint64 // findings summarised by the storm limiter

	// byName's entries are added under namesMu by the agent goroutine, which alone writes the map
	// and may therefore look up without the lock; readers take the lock.
	namesMu  sync.Mutex
	byName   map[string]*atomic.Uint64
	lastName string         // agent goroutine only: the name last counted
	last     *atomic.Uint64 // and its counter

	findingsMu sync.Mutex
	findings   map[findingKey]uint64

	sampleN      uint64 // agent goroutine only
	latency      [16]atomic.Uint64
	latencyCount atomic.Uint64
	latencySumNs atomic.Uint64

	signatures, disabled int // set once by NewAgent

	state      atomic.Int32
	healthMu   sync.Mutex
	started    time.Time
	endErr     error
	lastEvents uint64
	lastMove   time.Time
	stallAfter time.Duration
}

type findingKey struct{ id, name, severity string }

func (c *agentCounters) init(stallAfter time.Duration) {
	if stallAfter <= 0 {
		stallAfter = DefaultStallAfter
	}
	c.stallAfter = stallAfter
	c.byName = map[string]*atomic.Uint64{}
	c.findings = map[findingKey]uint64{}
}

// event counts one event from the source; called on the agent goroutine. The total is the sum
// of the names, read rarely, so the hot path pays one atomic add.
func (c *agentCounters) event(name string) {
	if c.last == nil || name != c.lastName { // events come in runs of one name
		n, ok := c.byName[name]
		if !ok {
			n = new(atomic.Uint64)
			c.namesMu.Lock()
			c.byName[name] = n
			c.namesMu.Unlock()
		}
		c.lastName, c.last = name, n
	}
	c.last.Add(1)
}

// sampleDue says whether this event's dispatch is timed; called on the agent goroutine.
func (c *agentCounters) sampleDue() bool {
	c.sampleN++
	return c.sampleN%DispatchSampleEvery == 0
}

func (c *agentCounters) observeDispatch(d time.Duration) {
	i := sort.Search(len(dispatchBounds), func(i int) bool { return d <= dispatchBounds[i] })
	c.latency[i].Add(1)
	c.latencyCount.Add(1)
	c.latencySumNs.Add(uint64(d))
}

func (c *agentCounters) finding(ev *trace.Event) {
	var k findingKey
	if ev.Metadata != nil {
		p := ev.Metadata.Properties
		k.id, _ = p["signatureID"].(string)
		k.name, _ = p["signatureName"].(string)
		if _, ok := p["Severity"]; ok {
			k.severity = strconv.Itoa(domain.PropertyInt(p, "Severity"))
		}
	}
	c.findingsMu.Lock()
	c.findings[k]++
	c.findingsMu.Unlock()
}

// events sums the counters by name into the total.
func (c *agentCounters) events() (total uint64, byName map[string]uint64) {
	c.namesMu.Lock()
	defer c.namesMu.Unlock()
	byName = make(map[string]uint64, len(c.byName))
	for name, n := range c.byName {
		v := n.Load()
		byName[name] = v
		total += v
	}
	return total, byName
}

func (c *agentCounters) runStarted(now time.Time) {
	c.healthMu.Lock()
	c.started, c.lastMove = now, now
	c.healthMu.Unlock()
	c.state.Store(runRunning)
}

func (c *agentCounters) runEnded(err error) {
	c.healthMu.Lock()
	c.endErr = err
	c.healthMu.Unlock()
	c.state.Store(runEnded)
}

// Stats reads the agent's counters (not the source's or the reloader's: see Monitor).
func (a *Agent) Stats() ports.AgentStats {
	c := &a.counters
	es := a.engine.Stats()
	st := ports.AgentStats{
		Filtered:        c.filtered.Load(),
		Suppressed:      c.suppressed.Load(),
		StormSuppressed: c.stormSuppressed.Load(),
		PolicyErrors:    c.policyErrors.Load(),
		Engine: ports.EngineStats{Signatures: c.signatures, Disabled: c.disabled,
			Events: es.Events.Load(), Matched: es.Matched.Load(), Findings: es.Findings.Load(),
			Errors: es.Errors.Load(), Panics: es.Panics.Load(), Abandoned: es.Abandoned.Load()},
		Outputs: a.outputs.Stats(),
	}
	st.Events, st.EventsByName = c.events()
	c.findingsMu.Lock()
	for k, n := range c.findings {
		st.Findings = append(st.Findings, ports.FindingCount{SignatureID: k.id, SignatureName: k.name, Severity: k.severity, Count: n})
	}
	c.findingsMu.Unlock()
	sort.Slice(st.Findings, func(i, j int) bool {
		if st.Findings[i].SignatureID != st.Findings[j].SignatureID {
			return st.Findings[i].SignatureID < st.Findings[j].SignatureID
		}
		return st.Findings[i].Severity < st.Findings[j].Severity
	})
	h := ports.Histogram{Bounds: dispatchBounds, Counts: make([]uint64, len(dispatchBounds))}
	var cum uint64
	for i := range dispatchBounds {
		cum += c.latency[i].Load()
		h.Counts[i] = cum
	}
	h.Count = cum + c.latency[len(dispatchBounds)].Load()
	h.Sum = time.Duration(c.latencySumNs.Load())
	st.DispatchLatency = h
	return st
}

// Health is nil while the source is attached and the pipeline moves: the source has not returned,
// and either the selection needs no events or the number of events the agent received changed
// within the stall limit (measured between Health calls; the first reference is Run's start).
// An output that fails or spools does not make the agent unhealthy: its counters show it.
func (a *Agent) Health(now time.Time) error {
	c := &a.counters
	switch c.state.Load() {
	case runNotStarted:
		return errors.New("agent not started")
	case runEnded:
		c.healthMu.Lock()
		defer c.healthMu.Unlock()
		if c.endErr != nil {
			return fmt.Errorf("event source stopped: %v", c.endErr)
		}
		return errors.New("event source ended")
	}
	if len(a.sel.Need) == 0 {
		return nil // nothing to read: no event is expected
	}
	n, _ := c.events()
	c.healthMu.Lock()
	defer c.healthMu.Unlock()
	if n != c.lastEvents {
		c.lastEvents, c.lastMove = n, now
		return nil
	}
	if idle := now.Sub(c.lastMove); idle > c.stallAfter {
		return fmt.Errorf("pipeline stalled: no event received for %s (limit %s, %d events since start)",
			idle.Round(time.Second), c.stallAfter, n)
	}
	return nil
}

// Monitor reads the whole agent: its counters, the source's and the reloader's. It is the one stats
// path behind the SIGUSR1 view and the metrics endpoint.
type Monitor struct {
	agent    *Agent
	reloader *Reloader
	source   func() ports.SourceStats
}

var _ ports.AgentMonitor = (*Monitor)(nil)

// NewMonitor reads agent, and reloader and source when they are not nil.
func NewMonitor(agent *Agent, reloader *Reloader, source func() ports.SourceStats) *Monitor {
	return &Monitor{agent: agent, reloader: reloader, source: source}
}

// Stats reads every counter.
func (m *Monitor) Stats() ports.AgentStats {
	st := m.agent.Stats()
	if m.source != nil {
		ss := m.source()
		st.Source = &ss
	}
	if m.reloader != nil {
		st.Reloads = m.reloader.Stats()
	}
	return st
}

// Health is the agent's health.
func (m *Monitor) Health(now time.Time) error { return m.agent.Health(now) }
