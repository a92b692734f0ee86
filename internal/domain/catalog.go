// Package domain is the agent's core: the event catalog, event selection, the signature registry,
// the engine that runs signatures, and the conversion of findings into signature events.
// It depends only on the standard library and the public types/ packages.
package domain

import (
	"sort"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// EventKind groups events the way `tracee list` shows them.
type EventKind int

// Kinds of events.
const (
	KindSyscall EventKind = iota
	KindOther
	KindNetwork
	KindSignature
)

func (k EventKind) String() string {
	switch k {
	case KindSyscall:
		return "syscall"
	case KindOther:
		return "other"
	case KindNetwork:
		return "network"
	case KindSignature:
		return "signature"
	}
	return "unknown"
}

// EventDefinition describes one traceable event.
type EventDefinition struct {
	ID     int
	Name   string
	Kind   EventKind
	Sets   []string
	Params []trace.ArgMeta
	// Dependencies are the base events this event is derived from (for signature events: the
	// events its signature selects).
	Dependencies []string
	// Signature is set for signature events.
	Signature *SignatureInfo
	// Nr is the x86-64 syscall number of a syscall event, -1 for every other event.
	Nr int
	// KernelOnly marks a syscall this kernel has that Tracee v0.24.1 does not define.
	KernelOnly bool
	// Probes are the probes Tracee attaches for the event, to explain why one is unavailable.
	Probes []TraceeProbe
	// Unavailable says why the live source cannot produce the event ("" when it can).
	Unavailable string
}

// SignatureEventIDBase is the first ID given to signature events, as in Tracee.
const SignatureEventIDBase = 6000

// Catalog is the set of events a user can select: the base events a source produces plus the
// signature events of the loaded signatures. It is built once and read-only afterwards.
type Catalog struct {
	byName map[string]*EventDefinition
	byID   map[int]*EventDefinition
	order  []*EventDefinition
}

// NewCatalog builds a catalog from definitions; later definitions with a taken name are ignored.
func NewCatalog(defs ...[]EventDefinition) *Catalog {
	c := &Catalog{byName: map[string]*EventDefinition{}, byID: map[int]*EventDefinition{}}
	for _, group := range defs {
		for i := range group {
			d := group[i]
			if _, taken := c.byName[d.Name]; taken {
				continue
			}
			c.byName[d.Name] = &d
			c.byID[d.ID] = &d
			c.order = append(c.order, &d)
		}
	}
	return c
}

// Lookup finds an event by name.
func (c *Catalog) Lookup(name string) (*EventDefinition, bool) {
	d, ok := c.byName[name]
	return d, ok
}

// ByID finds an event by ID.
func (c *Catalog) ByID(id int) (*EventDefinition, bool) {
	d, ok := c.byID[id]
	return d, ok
}

// All returns every definition: signature events first, then by kind and name.
func (c *Catalog) All() []*EventDefinition {
	out := append([]*EventDefinition(nil), c.order...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := kindRank(out[i].Kind), kindRank(out[j].Kind)
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Names returns every event name, for suggestions.
func (c *Catalog) Names() []string {
	names := make([]string, 0, len(c.order))
	for _, d := range c.order {
		names = append(names, d.Name)
	}
	return names
}

func kindRank(k EventKind) int {
	switch k {
	case KindSignature:
		return 0
	case KindSyscall:
		return 1
	case KindOther:
		return 2
	default:
		return 3
	}
}
