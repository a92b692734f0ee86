package ebpf

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// liveSource runs the real source for the whole test binary, with every base event selected.
type liveSource struct {
	mu      sync.Mutex
	events  []*trace.Event
	changed chan struct{}
	src     *Source
	err     error
}

var (
	live     *liveSource
	liveOnce sync.Once
)

// requireLive skips unless the kernel can run the source, and starts it once.
func requireLive(t *testing.T) *liveSource {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat(btfPath); err != nil {
		t.Skip("needs BTF (" + btfPath + ")")
	}
	liveOnce.Do(func() {
		live = &liveSource{changed: make(chan struct{})}
		need := map[string]bool{}
		for _, d := range domain.BaseEvents() {
			need[d.Name] = true
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		live.src, live.err = New(Config{}, log)
		if live.err != nil {
			return
		}
		ready := make(chan struct{})
		go func() {
			err := live.src.Run(context.Background(), domain.Selection{Need: need}, func(ev *trace.Event) {
				live.mu.Lock()
				live.events = append(live.events, ev)
				close(live.changed)
				live.changed = make(chan struct{})
				live.mu.Unlock()
			})
			live.mu.Lock()
			live.err = err
			live.mu.Unlock()
		}()
		// The source is ready when it sees its first event; poke it with an exec until then.
		go func() {
			for i := 0; i < 100; i++ {
				_, _ = runHelper("exec-true")
				live.mu.Lock()
				n := len(live.events)
				live.mu.Unlock()
				if n > 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			close(ready)
		}()
		<-ready
	})
	if live.err != nil {
		t.Fatalf("source: %v", live.err)
	}
	return live
}

// waitFor returns the first event, from index since on, that match accepts.
func (l *liveSource) waitFor(t *testing.T, since int, match func(*trace.Event) bool) *trace.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for i := since; ; {
		l.mu.Lock()
		for ; i < len(l.events); i++ {
			if match(l.events[i]) {
				ev := l.events[i]
				l.mu.Unlock()
				return ev
			}
		}
		ch := l.changed
		err := l.err
		l.mu.Unlock()
		if err != nil {
			t.Fatalf("source stopped: %v", err)
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no matching event within 10s")
		}
	}
}

func (l *liveSource) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// Recycle never blocks the agent's pipeline: batches beyond what the decoder can hold are left to
// the garbage collector.
func TestSource_Recycle_never_blocks(t *testing.T) {
	src, err := New(Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3*recycledBatches; i++ {
		src.Recycle([]*trace.Event{{}})
	}
	if n := len(src.recycled); n != recycledBatches {
		t.Fatalf("%d batches held, want %d", n, recycledBatches)
	}
}
