package domain

import "strings"

// KernelScope is the part of the policies' scopes a BPF program can evaluate before an event
// leaves the kernel, as bitmaps over policies (bit i is policy i, as in MatchedPoliciesKernel).
// It is conservative: a filter the kernel cannot evaluate (globs, executable, uts, tree, follow,
// container IDs) is left out, so the kernel passes a superset and PolicySet.Match decides.
//
// For an event, the kernel computes
//
//	matched = AllPolicies
//	for each field F with its value v:   (uid, pid, mntns, pidns, comm)
//	    e := F.Values[v]                  (zero when absent)
//	    matched &= ^F.Equal | e.Equal     (policies with F=... must list v)
//	    matched &= ^e.NotEqual            (policies with F!=... must not list v)
//	for uid and pid: for each Range r: if v outside [r.Min, r.Max] { matched &^= r.Policy }
//	if the task is in a container { matched &^= NotContainer } else { matched &^= Container }
//	matched &= Events[event id]           (policies that need this event at all)
//
// and drops the event when matched == 0, or else stores matched in the event's
// MatchedPoliciesKernel. Follow and tree policies (Followers) cannot be decided per event in the
// kernel without a process-tree map: their bits must be kept set (matched |= Followers & Events[id]).
type KernelScope struct {
	AllPolicies  uint64
	UID          NumericKernelFilter
	PID          NumericKernelFilter // host pid (tgid)
	MntNS        NumericKernelFilter
	PidNS        NumericKernelFilter
	Comm         StringKernelFilter // exact names only, truncated to 15 bytes as the kernel's comm
	Container    uint64             // policies whose scope requires a container
	NotContainer uint64             // policies whose scope requires the host
	Followers    uint64             // policies with follow or tree: never dropped in the kernel
	// Events maps an event name to the policies that need it (to emit it or for a signature).
	Events map[string]uint64
}

// KernelBits is one value's entry in a BPF hash map: which policies list it with = and with !=.
type KernelBits struct {
	Equal    uint64
	NotEqual uint64
}

// NumericKernelFilter is one numeric field: a hash map of values and, for < > <= >=, ranges.
type NumericKernelFilter struct {
	Equal  uint64 // policies with an = filter on this field
	Values map[uint64]KernelBits
	Ranges []KernelRange
}

// KernelRange is the inclusive range a policy's ordered filters allow (several filters of one
// policy on one field are intersected).
type KernelRange struct {
	Policy   uint64 // the policy's bit
	Min, Max uint64
}

// StringKernelFilter is one string field (comm).
type StringKernelFilter struct {
	Equal  uint64
	Values map[string]KernelBits
}

// commLen is TASK_COMM_LEN - 1: what bpf_get_current_comm returns at most.
const commLen = 15

// KernelScope computes the kernel's share of the scopes (nil set: no policies, nothing to filter).
func (s *PolicySet) KernelScope() KernelScope {
	ks := KernelScope{
		UID: NumericKernelFilter{Values: map[uint64]KernelBits{}}, PID: NumericKernelFilter{Values: map[uint64]KernelBits{}},
		MntNS: NumericKernelFilter{Values: map[uint64]KernelBits{}}, PidNS: NumericKernelFilter{Values: map[uint64]KernelBits{}},
		Comm: StringKernelFilter{Values: map[string]KernelBits{}}, Events: map[string]uint64{},
	}
	if s == nil {
		return ks
	}
	for name, uses := range s.byEvent {
		for _, u := range uses {
			ks.Events[name] |= s.policies[u.policy].bit
		}
	}
	for _, p := range s.policies {
		ks.AllPolicies |= p.bit
		if p.follow {
			ks.Followers |= p.bit
		}
		for _, f := range p.Scope {
			switch f.kind {
			case fieldUID:
				ks.UID.add(p.bit, f)
			case fieldPID:
				ks.PID.add(p.bit, f)
			case fieldMntNS:
				ks.MntNS.add(p.bit, f)
			case fieldPidNS:
				ks.PidNS.add(p.bit, f)
			case fieldComm:
				ks.Comm.add(p.bit, f)
			case fieldContainer:
				if f.Op == OpPresent {
					ks.Container |= p.bit
				}
			case fieldNotContainer:
				ks.NotContainer |= p.bit
			case fieldTree:
				ks.Followers |= p.bit
			}
		}
	}
	return ks
}

func (n *NumericKernelFilter) add(bit uint64, f Filter) {
	switch f.Op {
	case OpEqual:
		n.Equal |= bit
		for _, v := range f.nums {
			e := n.Values[uint64(v)]
			e.Equal |= bit
			n.Values[uint64(v)] = e
		}
	case OpNotEqual:
		for _, v := range f.nums {
			e := n.Values[uint64(v)]
			e.NotEqual |= bit
			n.Values[uint64(v)] = e
		}
	default:
		lo, hi := uint64(0), ^uint64(0)
		v := f.nums[0]
		if v < 0 {
			v = 0
		}
		switch f.Op {
		case OpLess:
			if v == 0 {
				lo, hi = 1, 0 // empty
			} else {
				hi = uint64(v) - 1
			}
		case OpLessEqual:
			hi = uint64(v)
		case OpGreater:
			lo = uint64(v) + 1
		case OpGreaterEqual:
			lo = uint64(v)
		}
		for i := range n.Ranges {
			if n.Ranges[i].Policy == bit {
				n.Ranges[i].Min = max(n.Ranges[i].Min, lo)
				n.Ranges[i].Max = min(n.Ranges[i].Max, hi)
				return
			}
		}
		n.Ranges = append(n.Ranges, KernelRange{Policy: bit, Min: lo, Max: hi})
	}
}

func (c *StringKernelFilter) add(bit uint64, f Filter) {
	for _, v := range f.Values {
		if strings.Contains(v, "*") && f.Op == OpEqual {
			return // a glob the kernel cannot evaluate: the policy passes every comm in the kernel
		}
	}
	for _, v := range f.Values {
		if strings.Contains(v, "*") {
			continue // != glob: not excluded in the kernel, userspace decides
		}
		if len(v) > commLen {
			v = v[:commLen]
		}
		e := c.Values[v]
		if f.Op == OpEqual {
			e.Equal |= bit
		} else {
			e.NotEqual |= bit
		}
		c.Values[v] = e
	}
	if f.Op == OpEqual {
		c.Equal |= bit
	}
}

// KernelTask is what the BPF program knows of the current task when an event fires.
type KernelTask struct {
	UID, PID, MntNS, PidNS uint64
	Comm                   string
	InContainer            bool
}

// Matched is the reference of the computation the BPF program must do (see KernelScope): the
// policies that may match an event of this name from this task. Zero means drop it in the kernel.
func (k *KernelScope) Matched(event string, t KernelTask) uint64 {
	need := k.Events[event]
	if need == 0 {
		return 0
	}
	m := k.AllPolicies
	m &= k.UID.matched(t.UID)
	m &= k.PID.matched(t.PID)
	m &= k.MntNS.matched(t.MntNS)
	m &= k.PidNS.matched(t.PidNS)
	comm := t.Comm
	if len(comm) > commLen {
		comm = comm[:commLen]
	}
	e := k.Comm.Values[comm]
	m &= (^k.Comm.Equal | e.Equal) &^ e.NotEqual
	if t.InContainer {
		m &^= k.NotContainer
	} else {
		m &^= k.Container
	}
	return (m | k.Followers) & need
}

func (n *NumericKernelFilter) matched(v uint64) uint64 {
	e := n.Values[v]
	m := (^n.Equal | e.Equal) &^ e.NotEqual
	for _, r := range n.Ranges {
		if v < r.Min || v > r.Max {
			m &^= r.Policy
		}
	}
	return m
}
