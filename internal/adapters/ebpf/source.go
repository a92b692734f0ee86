package ebpf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Source is the live eBPF event source; it implements ports.EventSource.
type Source struct {
	cfg      Config
	log      *slog.Logger
	counters counters

	mu       sync.Mutex
	drops    *ebpf.Map
	lastLost []uint64

	recycled chan []*trace.Event // batches of events the agent handed back (Recycle), reused by the decoder
}

// recycledBatches bounds the batches of handed-back events waiting for the decoder (64 batches of
// 64: ~2.8 MB of events and arguments at most); more are left to the garbage collector. With 16,
// a kill storm at 500 K events/s still allocated one event in five: reader and pipeline drift
// apart by more than a thousand events when the scheduler runs the storm's processes.
const recycledBatches = 64

// Recycle takes back events this source emitted that nothing references any more
// (ports.EventRecycler): the decoder overwrites each struct with a later event instead of
// allocating one (608 bytes), and its argument slice too. It never blocks.
func (s *Source) Recycle(evs []*trace.Event) {
	select {
	case s.recycled <- evs:
	default: // the decoder has enough: these go to the garbage collector
	}
}

// New checks the configuration; the kernel is touched only by Run.
func New(cfg Config, log *slog.Logger) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{cfg: cfg, log: log.With("component", "ebpf"), recycled: make(chan []*trace.Event, recycledBatches)}, nil
}

// Run loads and attaches the programs sel.Need requires, emits events until ctx ends and
// detaches everything before returning.
// It pulls its own batches (Open, Next) and emits their events one by one.
func (s *Source) Run(ctx context.Context, sel domain.Selection, emit func(*trace.Event)) error {
	r, err := s.open(sel)
	if err != nil {
		return err
	}
	defer r.Close()
	batch := make([]*trace.Event, 0, maxBatch)
	for {
		batch, err = r.Next(ctx, batch[:0])
		for _, ev := range batch {
			emit(ev)
		}
		if err != nil || len(batch) == 0 {
			return err
		}
	}
}

// maxBatch bounds the events of one batch.
const maxBatch = 64

// Open loads and attaches the programs sel.Need requires and returns the run, whose events the
// caller pulls (ports.PullSource); Close detaches everything.
func (s *Source) Open(_ context.Context, sel domain.Selection) (ports.EventBatches, error) {
	return s.open(sel)
}

// reading is one run of the source: its kernel objects, the ring buffer and the decoder, used by
// one goroutine at a time.
type reading struct {
	s          *Source
	k          *kernelObjects
	rd         *ringConsumer
	dec        *decoder
	need       []bool // by event ID: the selection needs it (the others feed the process tree)
	n          uint64 // records looked at
	deadline   time.Time
	nextStats  time.Time
	lostLogged uint64
}

func (s *Source) open(sel domain.Selection) (*reading, error) {
	start := time.Now()
	if err := checkHost(s.cfg.ProcRoot); err != nil {
		return nil, err
	}
	defs := Events()
	need := map[string]bool{}
	for name := range sel.Need {
		need[name] = true
	}
	for _, name := range internalEvents {
		need[name] = true
	}
	k, err := s.load(defs, need)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.drops = k.maps[traceeMapDrops]
	s.mu.Unlock()
	rd, err := openRing(k.maps[traceeMapEvents])
	if err != nil {
		s.forgetDrops()
		k.close()
		return nil, fmt.Errorf("ebpf: open ring buffer: %w", err)
	}

	loaded := time.Since(start)
	procs := newProcTree(s.cfg.ProcRoot)
	procs.bootstrap()
	dec := newDecoder(defs, bootOffset(), procs, newContainerResolver(s.cfg.ProcRoot))
	dec.scoped = s.cfg.Scope != nil && s.cfg.Scope.AllPolicies != 0
	dec.slab.recycled = s.recycled
	s.log.Info("eBPF source ready", "events", len(k.attached), "ring_bytes", s.cfg.RingBufferBytes,
		"startup", time.Since(start).Round(time.Millisecond), "attach", loaded.Round(time.Millisecond))
	if s.cfg.Ready != nil {
		s.cfg.Ready()
	}
	now := time.Now()
	return &reading{s: s, k: k, rd: rd, dec: dec, need: neededIDs(dec, sel),
		// The deadline is renewed only when it fires: the kernel wakes the reader once WakeupBytes
		// are pending, and the deadline bounds the latency of a quiet ring.
		deadline: now.Add(s.cfg.PollInterval), nextStats: now.Add(s.cfg.StatsInterval)}, nil
}

// Close detaches the programs and unmaps the ring buffer (ports.EventBatches).
func (r *reading) Close() error {
	r.rd.close()
	r.s.forgetDrops()
	r.k.close()
	return nil
}

func (s *Source) forgetDrops() {
	st := s.Stats()
	s.mu.Lock()
	s.lastLost = st.LostPerCPU
	s.drops = nil
	s.mu.Unlock()
}

// checkDrops logs what the kernel dropped since the last report, at most once per StatsInterval.
func (r *reading) checkDrops(now time.Time) {
	if now.Before(r.nextStats) {
		return
	}
	r.nextStats = now.Add(r.s.cfg.StatsInterval)
	if st := r.s.Stats(); st.Lost > r.lostLogged {
		r.s.log.Warn("kernel dropped events: the ring buffer was full", "lost", st.Lost-r.lostLogged,
			"lost_total", st.Lost, "lost_per_cpu", st.LostPerCPU, "read", st.EventsRead)
		r.lostLogged = st.Lost
	}
}

// Next reads the next events into buf (ports.EventBatches): it returns them when maxBatch are
// read or the ring buffer holds no more, and waits for the kernel while it has none. None: ctx
// ended. The records decoded so far are given back to the kernel before it returns (an event
// keeps nothing of its record).
func (r *reading) Next(ctx context.Context, buf []*trace.Event) ([]*trace.Event, error) {
	defer r.rd.release()
	if ctx.Err() != nil {
		return buf, nil
	}
	for {
		r.n++
		if len(buf) == maxBatch {
			return buf, nil
		}
		if r.n%64 == 0 {
			r.rd.release() // the kernel may write there again
		}
		rec, ok, err := r.rd.next()
		if err != nil {
			return buf, fmt.Errorf("ebpf: read ring buffer: %w", err)
		}
		if !ok {
			// Caught up: hand over what was read, else wait for the kernel (or, when the next
			// record is being written, for its commit).
			if len(buf) > 0 {
				return buf, nil
			}
			r.rd.release()
			if r.rd.pending() {
				runtime.Gosched()
				continue
			}
			if wait := time.Until(r.deadline); wait > 0 {
				if err := r.rd.wait(wait); err != nil {
					return buf, fmt.Errorf("ebpf: read ring buffer: %w", err)
				}
				if time.Now().Before(r.deadline) {
					continue
				}
			}
			if ctx.Err() != nil { // a cancelled reader stops at its next deadline
				return buf, nil
			}
			now := time.Now()
			r.deadline = now.Add(r.s.cfg.PollInterval)
			r.checkDrops(now)
			continue
		}
		if r.n%4096 == 0 { // a ring that never runs empty still gets its drops reported
			r.checkDrops(time.Now())
		}
		r.s.counters.read.Add(1)
		ev, err := r.dec.decode(rec)
		if err != nil {
			if r.s.counters.decodeErrors.Add(1) == 1 {
				r.s.log.Warn("undecodable event record", "err", err)
			}
			continue
		}
		if ev == nil {
			continue // an internal record (a cgroup's path)
		}
		if ev.EventID < 0 || ev.EventID >= len(r.need) || !r.need[ev.EventID] || (r.dec.scoped && ev.MatchedPoliciesKernel == 0) {
			r.dec.slab.giveBack(ev) // an event kept for the process tree only: its struct is reused
			continue
		}
		r.s.counters.emitted.Add(1)
		buf = append(buf, ev)
	}
}

// neededIDs says, by event ID, which events the selection needs (the others are decoded for the
// process tree only): a slice index instead of a map lookup by name on every record.
func neededIDs(dec *decoder, sel domain.Selection) []bool {
	var need []bool
	for _, we := range dec.events {
		if we == nil || !sel.Need[we.def.Name] || we.def.ID < 0 || we.def.ID > maxWireID {
			continue
		}
		for len(need) <= we.def.ID {
			need = append(need, false)
		}
		need[we.def.ID] = true
	}
	return need
}

// kernelObjects are the loaded maps, programs and links of one Run.
type kernelObjects struct {
	maps     map[string]*ebpf.Map
	progs    []*ebpf.Program
	links    []link.Link
	attached []string
}

// close detaches every link, then frees programs and maps. Links are detached concurrently: a
// perf-event tracepoint link takes ~60 ms to detach, mostly waiting, so dozens in a row would make
// the agent slow to stop.
func (k *kernelObjects) close() {
	var wg sync.WaitGroup
	for _, l := range k.links {
		wg.Add(1)
		go func(l link.Link) {
			defer wg.Done()
			_ = l.Close()
		}(l)
	}
	wg.Wait()
	for _, p := range k.progs {
		_ = p.Close()
	}
	for _, m := range k.maps {
		_ = m.Close()
	}
}

// load creates the maps, loads the programs the needed events use and attaches them. An event
// whose program the kernel refuses is reported in one log line; the others carry on.
func (s *Source) load(defs []domain.EventDefinition, need map[string]bool) (*kernelObjects, error) {
	spec, err := loadTracee()
	if err != nil {
		return nil, fmt.Errorf("ebpf: parse embedded object: %w", err)
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("ebpf: count CPUs: %w", err)
	}
	spec.Maps[traceeMapEvents].MaxEntries = uint32(s.cfg.RingBufferBytes)
	spec.Maps[traceeMapBufs].MaxEntries = uint32(ncpu)
	if err := spec.Variables["self_tgid"].Set(uint32(os.Getpid())); err != nil {
		return nil, fmt.Errorf("ebpf: set self_tgid: %w", err)
	}
	if err := spec.Variables["wakeup_bytes"].Set(uint64(s.cfg.WakeupBytes)); err != nil {
		return nil, fmt.Errorf("ebpf: set wakeup_bytes: %w", err)
	}
	cg := cgroupV1Controller(s.cfg.ProcRoot)
	if err := spec.Variables["cgroup_v1_subsys"].Set(cg.subsys); err != nil {
		return nil, fmt.Errorf("ebpf: set cgroup_v1_subsys: %w", err)
	}
	if err := spec.Variables["cgroup_v1_hierarchy"].Set(cg.hierarchy); err != nil {
		return nil, fmt.Errorf("ebpf: set cgroup_v1_hierarchy: %w", err)
	}
	if err := setMagicFilter(spec, s.cfg.MagicInterest); err != nil {
		return nil, err
	}
	if s.cfg.editSpec != nil {
		s.cfg.editSpec(spec)
	}
	s.log.Debug("cgroup hierarchy for containers", "controller", cg.name, "hierarchy", cg.hierarchy)
	mapsOnly := spec.Copy()
	mapsOnly.Programs = map[string]*ebpf.ProgramSpec{}
	coll, err := ebpf.NewCollection(mapsOnly)
	if err != nil {
		return nil, fmt.Errorf("ebpf: create maps: %w", err)
	}
	k := &kernelObjects{maps: coll.Maps}
	cache := btf.NewCache() // decode the kernel's BTF once for every program

	progs := map[string]*ebpf.Program{}
	progErr := map[string]error{}
	loadProg := func(name string) (*ebpf.Program, error) {
		if p, ok := progs[name]; ok {
			return p, nil
		}
		if err, ok := progErr[name]; ok {
			return nil, err
		}
		if spec.Programs[name] == nil {
			return nil, fmt.Errorf("no program %s", name)
		}
		one := spec.Copy()
		one.Programs = map[string]*ebpf.ProgramSpec{name: one.Programs[name]}
		c, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{MapReplacements: coll.Maps, Cache: cache})
		if err != nil {
			s.log.Debug("program refused", "program", name, "err", err)
			progErr[name] = fmt.Errorf("load %s: %s", name, firstLine(err))
			return nil, progErr[name]
		}
		p := c.Programs[name]
		delete(c.Programs, name)
		c.Close() // closes the clones of the shared maps only
		progs[name] = p
		k.progs = append(k.progs, p)
		return p, nil
	}
	// Load every needed program in one pass; only when the kernel refuses one, go one by one to
	// find which events become unavailable.
	global := useGlobalSyscalls(defs, need)
	wanted := map[string]bool{}
	for _, def := range defs {
		if need[def.Name] {
			for _, h := range hooksOf(def, global) {
				wanted[h.prog] = true
				wanted[dispatchHook.prog] = wanted[dispatchHook.prog] || h.entry
			}
		}
	}
	all := spec.Copy()
	for name := range all.Programs {
		if !wanted[name] {
			delete(all.Programs, name)
		}
	}
	if c, err := ebpf.NewCollectionWithOptions(all, ebpf.CollectionOptions{MapReplacements: coll.Maps, Cache: cache}); err == nil {
		for name, p := range c.Programs {
			progs[name] = p
			k.progs = append(k.progs, p)
		}
		c.Programs = nil
		c.Close() // the clones of the shared maps only
	}

	links := map[hook]link.Link{}
	var attach func(h hook) error
	attach = func(h hook) error {
		if _, ok := links[h]; ok {
			return nil
		}
		p, err := loadProg(h.prog)
		if err != nil {
			return err
		}
		if h.entry {
			if err := k.maps[traceeMapSysEnterTails].Put(uint32(h.nr), p); err != nil {
				return fmt.Errorf("put %s in the entry of syscall %d: %w", h.prog, h.nr, err)
			}
			if err := attach(dispatchHook); err != nil {
				return err
			}
			links[h] = nil // in its slot: nothing to detach but the dispatcher
			return nil
		}
		var l link.Link
		if h.group == "" {
			l, err = link.AttachTracing(link.TracingOptions{Program: p, AttachType: ebpf.AttachTraceRawTp})
		} else {
			if err = ensureTracefs(); err == nil {
				l, err = link.Tracepoint(h.group, h.name, p, nil)
			}
		}
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no tracepoint %s/%s in this kernel", h.group, h.name)
		}
		if err != nil {
			return fmt.Errorf("attach %s to %s/%s: %w", h.prog, h.group, h.name, err)
		}
		links[h] = l
		k.links = append(k.links, l)
		return nil
	}

	if err := loadScope(k.maps, s.cfg.Scope, defs, need); err != nil {
		k.close()
		return nil, err
	}
	if err := loadOpenFilter(k.maps, s.cfg.OpenInterest); err != nil {
		k.close()
		return nil, err
	}
	var unavailable []string
	enabled := k.maps[traceeMapEnabled]
	confs := k.maps[traceeMapSyscallConfs]
	for _, def := range defs {
		if !need[def.Name] {
			continue
		}
		hooks := hooksOf(def, global)
		if len(hooks) == 0 {
			unavailable = append(unavailable, def.Name+" (no hook)")
			continue
		}
		if def.Nr >= 0 {
			if err := confs.Put(uint32(def.Nr), syscallConf(def, global)); err != nil {
				k.close()
				return nil, fmt.Errorf("ebpf: configure %s: %w", def.Name, err)
			}
		}
		// Enable before attaching so that the first events are not lost.
		if err := enabled.Put(uint32(wireID(def)), uint32(1)); err != nil {
			k.close()
			return nil, fmt.Errorf("ebpf: enable %s: %w", def.Name, err)
		}
		var failed error
		for _, h := range hooks {
			if err := attach(h); err != nil {
				if h.optional {
					s.log.Info("optional hook unavailable: the event goes on without what it adds",
						"event", def.Name, "program", h.prog, "err", err)
					continue
				}
				failed = err
				break
			}
		}
		if failed != nil {
			_ = enabled.Put(uint32(wireID(def)), uint32(0))
			unavailable = append(unavailable, fmt.Sprintf("%s (%v)", def.Name, failed))
			continue
		}
		k.attached = append(k.attached, def.Name)
	}
	known := map[string]bool{}
	for _, def := range defs {
		known[def.Name] = true
	}
	for name := range need {
		if !known[name] {
			unavailable = append(unavailable, name+" (not produced by the eBPF source)")
		}
	}
	if len(unavailable) > 0 {
		sort.Strings(unavailable)
		s.log.Warn("events unavailable on this kernel, continuing without them", "events", strings.Join(unavailable, "; "))
	}
	if len(k.attached) == 0 {
		k.close()
		return nil, errors.New("ebpf: no event could be attached")
	}
	slices.Sort(k.attached)
	return k, nil
}

// firstLine keeps a verifier error to its first line; the full log is for debugging only.
func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return msg[:i]
	}
	return msg
}
