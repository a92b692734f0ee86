package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ContainerRuntimes are the runtimes --enrichment container.RUNTIME.socket names, in the order
// they are asked.
var ContainerRuntimes = []string{"containerd", "docker", "crio", "podman"}

// DefaultRuntimeSockets are Tracee's default sockets.
var DefaultRuntimeSockets = map[string]string{
	"containerd": "/var/run/containerd/containerd.sock",
	"docker":     "/var/run/docker.sock",
	"crio":       "/var/run/crio/crio.sock",
	"podman":     "/var/run/podman/podman.sock",
}

// ContainerEnrichment is what --enrichment container[.RUNTIME.socket=PATH] asks for.
type ContainerEnrichment struct {
	Enabled bool
	// Sockets are the runtimes' sockets given on the command line; when none is, every runtime's
	// default socket is tried.
	Sockets map[string]string
}

// RuntimeSocket is one runtime to ask and where.
type RuntimeSocket struct{ Runtime, Socket string }

// AvailableSockets returns the sockets to ask, in ContainerRuntimes order: those given, or else the
// defaults; a socket that does not exist is skipped with one log line.
func (ce ContainerEnrichment) AvailableSockets(log *slog.Logger) []RuntimeSocket {
	var out []RuntimeSocket
	for _, rt := range ContainerRuntimes {
		sock, given := ce.Sockets[rt]
		if len(ce.Sockets) > 0 && !given {
			continue
		}
		if !given {
			sock = DefaultRuntimeSockets[rt]
		}
		if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
			log.Info("container runtime socket not found; skipped", "runtime", rt, "socket", sock)
			continue
		}
		out = append(out, RuntimeSocket{Runtime: rt, Socket: sock})
	}
	if len(out) == 0 {
		log.Warn("--enrichment container: no container runtime socket found; events carry container IDs only (set --enrichment container.RUNTIME.socket=PATH)")
	}
	return out
}

// ContainerEnricherConfig bounds the container lookups; zero values take the defaults.
type ContainerEnricherConfig struct {
	Timeout       time.Duration // one lookup, every runtime asked in turn (default 2s)
	Retry         time.Duration // after a miss, the ID is asked again no sooner than this (default 2s)
	MaxMisses     int           // misses before an ID is given up (default 5)
	MaxContainers int           // IDs remembered (default 16384)
	Parallel      int           // lookups running at once (default 4)
}

// ContainerEnricher fills events' container and kubernetes fields from the container runtimes, by
// the container ID the source found. The event path never waits for a runtime: the first event of
// a container starts a lookup in the background and goes on with the ID only; the container's
// later events, once the runtime answered, carry its name, image and pod. An answer is kept
// (identity never changes), so a short-lived container is known after its record is deleted.
type ContainerEnricher struct {
	inspectors []ports.ContainerInspector
	log        *slog.Logger
	cfg        ContainerEnricherConfig
	sem        chan struct{}
	wg         sync.WaitGroup
	now        func() time.Time

	mu     sync.Mutex
	byID   map[string]*containerEntry
	closed bool
	warned map[int]bool // inspectors whose failure was logged once
}

type containerEntry struct {
	info    domain.ContainerInfo
	found   bool
	pending bool
	misses  int
	retryAt time.Time
	done    chan struct{} // closed when the pending lookup ends
}

// NewContainerEnricher asks inspectors in order until one knows the container.
func NewContainerEnricher(cfg ContainerEnricherConfig, inspectors []ports.ContainerInspector, log *slog.Logger) *ContainerEnricher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 2 * time.Second
	}
	if cfg.MaxMisses <= 0 {
		cfg.MaxMisses = 5
	}
	if cfg.MaxContainers <= 0 {
		cfg.MaxContainers = 16384
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ContainerEnricher{inspectors: inspectors, log: log.With("component", "containers"), cfg: cfg,
		sem: make(chan struct{}, cfg.Parallel), now: time.Now, byID: map[string]*containerEntry{}, warned: map[int]bool{}}
}

func eventContainerID(ev *trace.Event) string {
	if ev.Container.ID != "" {
		return ev.Container.ID
	}
	return ev.ContainerID
}

// Enrich fills ev from what is known of its container and, for a container not asked yet (or whose
// miss may be retried), starts a lookup. It never blocks on a runtime.
func (c *ContainerEnricher) Enrich(ev *trace.Event) {
	id := eventContainerID(ev)
	if id == "" {
		return
	}
	c.mu.Lock()
	e := c.byID[id]
	switch {
	case e == nil:
		e = &containerEntry{}
		c.evictLocked()
		c.byID[id] = e
		c.startLocked(id, e)
	case e.found:
		e.info.Apply(ev)
	case !e.pending && e.misses < c.cfg.MaxMisses && !c.now().Before(e.retryAt):
		c.startLocked(id, e)
	}
	c.mu.Unlock()
}

// Settle is Enrich for a finding: when its container's lookup is under way it waits for the
// answer, at most bound, so that the alert of a new container carries its identity. It waits at
// most once per container (the lookup ends either way).
func (c *ContainerEnricher) Settle(ctx context.Context, ev *trace.Event, bound time.Duration) {
	id := eventContainerID(ev)
	if id == "" {
		return
	}
	c.mu.Lock()
	var done chan struct{}
	if e := c.byID[id]; e != nil && e.pending {
		done = e.done
	}
	c.mu.Unlock()
	if done != nil {
		t := time.NewTimer(bound)
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	c.Enrich(ev)
}

// Lookup returns what is known of a container, without asking any runtime.
func (c *ContainerEnricher) Lookup(id string) (domain.ContainerInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil && e.found {
		return e.info, true
	}
	return domain.ContainerInfo{}, false
}

// Close stops new lookups and waits for those under way (each bounded by the timeout).
func (c *ContainerEnricher) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
}

// evictLocked makes room: identities are cheap to ask again, so when full everything not under
// way is forgotten at once (rare: MaxContainers distinct containers).
func (c *ContainerEnricher) evictLocked() {
	if len(c.byID) < c.cfg.MaxContainers {
		return
	}
	for id, e := range c.byID {
		if !e.pending {
			delete(c.byID, id)
		}
	}
}

func (c *ContainerEnricher) startLocked(id string, e *containerEntry) {
	if c.closed || len(c.inspectors) == 0 {
		e.misses = c.cfg.MaxMisses
		return
	}
	e.pending = true
	e.done = make(chan struct{})
	c.wg.Add(1)
	go c.lookup(id, e)
}

func (c *ContainerEnricher) lookup(id string, e *containerEntry) {
	defer c.wg.Done()
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	var info domain.ContainerInfo
	found := false
	for i, in := range c.inspectors {
		got, err := in.Inspect(ctx, id)
		if err == nil {
			info, found = got, true
			break
		}
		if !errors.Is(err, domain.ErrContainerNotFound) {
			c.warnOnce(i, err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if found {
		info.ID = id
		e.info, e.found = info, true
		c.log.Debug("container identified", "id", id, "name", info.Name, "image", info.Image, "runtime", info.Runtime)
	} else {
		e.misses++
		e.retryAt = c.now().Add(c.cfg.Retry)
	}
	e.pending = false
	close(e.done)
}

// warnOnce logs a runtime's first failure (unreachable, refused); later ones at debug level.
func (c *ContainerEnricher) warnOnce(i int, err error) {
	c.mu.Lock()
	first := !c.warned[i]
	c.warned[i] = true
	c.mu.Unlock()
	if first {
		c.log.Warn("container runtime lookup failed; events of its containers carry only the ID until it answers", "error", err)
	} else {
		c.log.Debug("container runtime lookup failed", "error", err)
	}
}
