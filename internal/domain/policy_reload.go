package domain

import (
	"sync/atomic"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Policies holds the running PolicySet for the pipeline and lets a reload (SIGHUP) replace it
// while events flow: Match reads the current set once per event, so every event is judged by
// exactly one set. Match is called from the pipeline's one goroutine; Replace from any other.
type Policies struct {
	cur atomic.Pointer[PolicySet]
}

// NewPolicies holds set (nil: no policies, every event passes to the -e selection).
func NewPolicies(set *PolicySet) *Policies {
	p := &Policies{}
	p.cur.Store(set)
	return p
}

// Current returns the running set (nil when there are no policies).
func (p *Policies) Current() *PolicySet { return p.cur.Load() }

// Active reports whether policies decide what is emitted.
func (p *Policies) Active() bool { return p.cur.Load().Len() > 0 }

// Match is PolicySet.Match on the running set.
func (p *Policies) Match(ev *trace.Event) (emit, dispatch bool) { return p.cur.Load().Match(ev) }

// Replace swaps in next if CheckReload accepts it; otherwise the running set stays and the error
// says why. The new set learns the process tree (tree, follow) again from the events it sees.
func (p *Policies) Replace(next *PolicySet) error {
	running := p.cur.Load()
	if running.Len() == 0 || next.Len() == 0 {
		return &PolicyError{Msg: "policies cannot be added or removed by a reload", Fix: "restart the agent"}
	}
	if err := CheckReload(running, next); err != nil {
		return err
	}
	next.startedAt = running.startedAt // pid=new keeps meaning "started after the agent"
	p.cur.Store(next)
	return nil
}
