package ebpf

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// keptByKernel is the live half of a kernel prefilter's specification test: it starts a source
// with cfg for event, runs the helper action on arg, and once every key in want has arrived (and
// 200 ms more for any that should not) returns how many events of the helper arrived per key.
func keptByKernel(t *testing.T, cfg Config, event, action, arg string, key func(*trace.Event) string, want []string) map[string]int {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	_, events, mu, cancel, done := startSource(t, cfg, log, event)
	defer func() { cancel(); <-done }()
	pid, err := runHelper(action, arg)
	require.NoError(t, err)
	got := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		seen := map[string]int{}
		for _, ev := range *events {
			if ev.HostProcessID == pid && ev.EventName == event {
				seen[key(ev)]++
			}
		}
		return seen
	}
	require.Eventually(t, func() bool {
		seen := got()
		for _, w := range want {
			if seen[w] == 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond, "every admitted %s arrives: %v", event, want)
	time.Sleep(200 * time.Millisecond)
	return got()
}
