package ebpf

import (
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Names of the scope maps in bpf/lib/scope.h.
const maxScopeRanges = 64

// scope_conf.fields bits (enum scope_fields in bpf/lib/scope.h).
const (
	scopeFieldUID = 1 << iota
	scopeFieldPID
	scopeFieldMntNS
	scopeFieldPidNS
	scopeFieldComm
)

// loadScope writes the policies' kernel scope into the scope maps, so that events no policy
// can match never leave the kernel. need names the events the source produces; internal events
// (the process tree's) always pass. A nil scope or one without policies leaves scoping off.
func loadScope(maps map[string]*ebpf.Map, ks *domain.KernelScope, defs []domain.EventDefinition, need map[string]bool) error {
	if ks == nil || ks.AllPolicies == 0 {
		return nil
	}
	if len(ks.UID.Ranges)+len(ks.PID.Ranges) > maxScopeRanges {
		return fmt.Errorf("ebpf: %d uid/pid ranges in the policies, at most %d fit the kernel filter",
			len(ks.UID.Ranges)+len(ks.PID.Ranges), maxScopeRanges)
	}
	conf := traceeScopeConf{
		All: ks.AllPolicies, UidEq: ks.UID.Equal, PidEq: ks.PID.Equal, MntnsEq: ks.MntNS.Equal,
		PidnsEq: ks.PidNS.Equal, CommEq: ks.Comm.Equal, Followers: ks.Followers,
	}
	numeric := []struct {
		m    *ebpf.Map
		f    domain.NumericKernelFilter
		flag uint32
	}{
		{maps[traceeMapScopeUid], ks.UID, scopeFieldUID}, {maps[traceeMapScopePid], ks.PID, scopeFieldPID},
		{maps[traceeMapScopeMntns], ks.MntNS, scopeFieldMntNS}, {maps[traceeMapScopePidns], ks.PidNS, scopeFieldPidNS},
	}
	// A field no policy filters on passes every value: the kernel skips its lookup.
	for _, n := range numeric {
		if n.f.Equal != 0 || len(n.f.Values) > 0 {
			conf.Fields |= n.flag
		}
	}
	if ks.Comm.Equal != 0 || len(ks.Comm.Values) > 0 {
		conf.Fields |= scopeFieldComm
	}
	for _, n := range numeric {
		for v, b := range n.f.Values {
			if err := n.m.Put(v, traceeScopeBits{Eq: b.Equal, Ne: b.NotEqual}); err != nil {
				return fmt.Errorf("ebpf: scope value %d: %w", v, err)
			}
		}
	}
	for comm, b := range ks.Comm.Values {
		var key traceeCommKey
		for i := 0; i < len(comm) && i < 15; i++ {
			key.Comm[i] = int8(comm[i])
		}
		if err := maps[traceeMapScopeComm].Put(key, traceeScopeBits{Eq: b.Equal, Ne: b.NotEqual}); err != nil {
			return fmt.Errorf("ebpf: scope comm %q: %w", comm, err)
		}
	}
	i := uint32(0)
	for field, rs := range [][]domain.KernelRange{ks.UID.Ranges, ks.PID.Ranges} {
		for _, r := range rs {
			if err := maps[traceeMapScopeRanges].Put(i, traceeScopeRange{Field: uint32(field), Policy: r.Policy, Min: r.Min, Max: r.Max}); err != nil {
				return fmt.Errorf("ebpf: scope range: %w", err)
			}
			i++
		}
	}
	conf.Nranges = i
	internal := map[string]bool{}
	for _, name := range internalEvents {
		internal[name] = true
	}
	for _, def := range defs {
		if !need[def.Name] {
			continue
		}
		ev := traceeScopeEvent{Need: ks.Events[def.Name]}
		if internal[def.Name] {
			ev.Bypass = 1 // the process tree needs every fork, exec and exit
		}
		if err := maps[traceeMapScopeEvents].Put(uint32(wireID(def)), ev); err != nil {
			return fmt.Errorf("ebpf: scope of %s: %w", def.Name, err)
		}
	}
	conf.On = 1 // last: the kernel starts filtering once everything above is in place
	return maps[traceeMapScopeConfs].Put(uint32(0), conf)
}
