package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

var testContainerID = strings.Repeat("ab", 32)

// fakeInspector answers from a map; gate, when set, holds every answer until it is closed.
type fakeInspector struct {
	mu    sync.Mutex
	known map[string]domain.ContainerInfo
	err   error // answered instead of a miss
	gate  chan struct{}
	calls atomic.Int32
}

func (f *fakeInspector) Inspect(ctx context.Context, id string) (domain.ContainerInfo, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return domain.ContainerInfo{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if info, ok := f.known[id]; ok {
		return info, nil
	}
	if f.err != nil {
		return domain.ContainerInfo{}, f.err
	}
	return domain.ContainerInfo{}, domain.ErrContainerNotFound
}

func (f *fakeInspector) forget(id string) {
	f.mu.Lock()
	delete(f.known, id)
	f.mu.Unlock()
}

var webInfo = domain.ContainerInfo{Name: "nginx", Image: "nginx:1.27", ImageDigest: "sha256:3ed6", Runtime: "containerd",
	Pod: domain.PodInfo{Name: "web-1", Namespace: "shop", UID: "uid-1"}}

func containerEvent(id string) *trace.Event {
	return &trace.Event{EventName: "openat", ContainerID: id, Container: trace.Container{ID: id}}
}

// settle waits until the enricher has no lookup under way.
func settle(t *testing.T, c *ContainerEnricher) {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range c.byID {
			if e.pending {
				return false
			}
		}
		return true
	}, 5*time.Second, time.Millisecond)
}

func TestContainerEnricher_Enrich(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"the first event is not held; the next ones carry name, image and pod", func(t *testing.T) {
			f := &fakeInspector{known: map[string]domain.ContainerInfo{testContainerID: webInfo}, gate: make(chan struct{})}
			c := NewContainerEnricher(ContainerEnricherConfig{}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			first := containerEvent(testContainerID)
			c.Enrich(first) // returns although the runtime has not answered
			assert.Empty(t, first.Container.Name)
			close(f.gate)
			settle(t, c)
			next := containerEvent(testContainerID)
			c.Enrich(next)
			assert.Equal(t, trace.Container{ID: testContainerID, Name: "nginx", ImageName: "nginx:1.27", ImageDigest: "sha256:3ed6"}, next.Container)
			assert.Equal(t, trace.Kubernetes{PodName: "web-1", PodNamespace: "shop", PodUID: "uid-1"}, next.Kubernetes)
			assert.EqualValues(t, 1, f.calls.Load())
		}},
		{"a container deleted after its lookup (ctr run --rm) stays known, asked once", func(t *testing.T) {
			f := &fakeInspector{known: map[string]domain.ContainerInfo{testContainerID: webInfo}}
			c := NewContainerEnricher(ContainerEnricherConfig{}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			c.Enrich(containerEvent(testContainerID))
			settle(t, c)
			f.forget(testContainerID)
			for range 100 {
				ev := containerEvent(testContainerID)
				c.Enrich(ev)
				require.Equal(t, "nginx", ev.Container.Name)
			}
			assert.EqualValues(t, 1, f.calls.Load())
		}},
		{"a miss is asked again after the retry interval, at most MaxMisses times", func(t *testing.T) {
			f := &fakeInspector{}
			c := NewContainerEnricher(ContainerEnricherConfig{Retry: time.Hour, MaxMisses: 3}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			now := time.Unix(1000, 0)
			c.now = func() time.Time { return now }
			for range 10 {
				for range 50 {
					c.Enrich(containerEvent(testContainerID))
					settle(t, c)
				}
				now = now.Add(time.Hour)
			}
			assert.EqualValues(t, 3, f.calls.Load())
		}},
		{"a miss answered later is found on a retry", func(t *testing.T) {
			f := &fakeInspector{known: map[string]domain.ContainerInfo{}}
			c := NewContainerEnricher(ContainerEnricherConfig{Retry: time.Hour}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			now := time.Unix(1000, 0)
			c.now = func() time.Time { return now }
			c.Enrich(containerEvent(testContainerID))
			settle(t, c)
			f.mu.Lock()
			f.known[testContainerID] = webInfo
			f.mu.Unlock()
			now = now.Add(time.Hour)
			c.Enrich(containerEvent(testContainerID))
			settle(t, c)
			ev := containerEvent(testContainerID)
			c.Enrich(ev)
			assert.Equal(t, "nginx", ev.Container.Name)
		}},
		{"an unreachable runtime does not stop the next one from answering", func(t *testing.T) {
			down := &fakeInspector{err: errors.New("docker at /var/run/docker.sock: connection refused")}
			up := &fakeInspector{known: map[string]domain.ContainerInfo{testContainerID: webInfo}}
			var logs bytes.Buffer
			c := NewContainerEnricher(ContainerEnricherConfig{}, []ports.ContainerInspector{down, up}, slog.New(slog.NewTextHandler(&logs, nil)))
			defer c.Close()
			c.Enrich(containerEvent(testContainerID))
			settle(t, c)
			c.Enrich(containerEvent(strings.Repeat("cd", 32)))
			settle(t, c)
			info, ok := c.Lookup(testContainerID)
			require.True(t, ok)
			assert.Equal(t, "containerd", info.Runtime)
			assert.Equal(t, testContainerID, info.ID)
			assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), "a failing runtime is logged once: %s", logs.String())
		}},
		{"host events (no container ID) are left alone and ask nothing", func(t *testing.T) {
			f := &fakeInspector{}
			c := NewContainerEnricher(ContainerEnricherConfig{}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			ev := &trace.Event{EventName: "openat"}
			c.Enrich(ev)
			assert.Equal(t, trace.Event{EventName: "openat"}, *ev)
			assert.EqualValues(t, 0, f.calls.Load())
		}},
		{"a finding waits for its container's lookup under way, within the bound", func(t *testing.T) {
			f := &fakeInspector{known: map[string]domain.ContainerInfo{testContainerID: webInfo}, gate: make(chan struct{})}
			c := NewContainerEnricher(ContainerEnricherConfig{}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			c.Enrich(containerEvent(testContainerID))
			go func() { time.Sleep(20 * time.Millisecond); close(f.gate) }()
			finding := containerEvent(testContainerID)
			c.Settle(context.Background(), finding, time.Minute)
			assert.Equal(t, "nginx", finding.Container.Name)
		}},
		{"a finding whose runtime does not answer goes on after the bound", func(t *testing.T) {
			f := &fakeInspector{gate: make(chan struct{})}
			c := NewContainerEnricher(ContainerEnricherConfig{Timeout: time.Minute}, []ports.ContainerInspector{f}, nil)
			c.Enrich(containerEvent(testContainerID))
			finding := containerEvent(testContainerID)
			c.Settle(context.Background(), finding, 10*time.Millisecond)
			assert.Empty(t, finding.Container.Name)
			close(f.gate)
			c.Close()
		}},
		{"the number of remembered containers is bounded", func(t *testing.T) {
			f := &fakeInspector{}
			c := NewContainerEnricher(ContainerEnricherConfig{MaxContainers: 8}, []ports.ContainerInspector{f}, nil)
			defer c.Close()
			for i := range 100 {
				c.Enrich(containerEvent(strings.Repeat("0", 62) + string(rune('a'+i%26)) + string(rune('a'+i/26))))
				settle(t, c)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			assert.LessOrEqual(t, len(c.byID), 8)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// BenchmarkContainerEnricher_Enrich_known is the event path's cost for a container already known.
func BenchmarkContainerEnricher_Enrich_known(b *testing.B) {
	f := &fakeInspector{known: map[string]domain.ContainerInfo{testContainerID: webInfo}}
	c := NewContainerEnricher(ContainerEnricherConfig{}, []ports.ContainerInspector{f}, nil)
	defer c.Close()
	c.Enrich(containerEvent(testContainerID))
	for {
		if _, ok := c.Lookup(testContainerID); ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ev := containerEvent(testContainerID)
	b.ReportAllocs()
	for b.Loop() {
		c.Enrich(ev)
	}
}

func TestContainerEnrichment_AvailableSockets(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "containerd.sock")
	l, err := net.Listen("unix", live)
	require.NoError(t, err)
	defer l.Close()
	plainFile := filepath.Join(dir, "docker.sock")
	require.NoError(t, os.WriteFile(plainFile, nil, 0o600))
	tests := []struct {
		name    string
		sockets map[string]string
		want    []RuntimeSocket
		logs    []string
	}{
		{name: "given sockets only: the missing one and the non-socket are skipped with one line each",
			sockets: map[string]string{"containerd": live, "docker": plainFile, "crio": filepath.Join(dir, "crio.sock")},
			want:    []RuntimeSocket{{Runtime: "containerd", Socket: live}},
			logs:    []string{"runtime=docker", "runtime=crio"}},
		{name: "nothing usable: one warning more",
			sockets: map[string]string{"podman": filepath.Join(dir, "none.sock")},
			logs:    []string{"runtime=podman", "no container runtime socket found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			got := ContainerEnrichment{Enabled: true, Sockets: tt.sockets}.AvailableSockets(slog.New(slog.NewTextHandler(&buf, nil)))
			assert.Equal(t, tt.want, got)
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			assert.Len(t, lines, len(tt.logs), buf.String())
			for _, want := range tt.logs {
				assert.Contains(t, buf.String(), want)
			}
		})
	}
}
