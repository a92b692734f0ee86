package ebpf

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestSource_live_magic_write: a write of an ELF header at offset 0 of a new file gives
// magic_write with its first 20 bytes, by write, pwrite64 and writev; writes at later offsets do not.
func TestSource_live_magic_write(t *testing.T) {
	l := requireLive(t)
	dir := t.TempDir()
	since := l.mark()
	pid, err := runHelper("magic-write", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"written", "pwritten", "writtenv"} {
		path := filepath.Join(dir, name)
		ev := l.waitFor(t, since, func(ev *trace.Event) bool {
			return ev.EventName == "magic_write" && ev.HostProcessID == pid && domain.Arg(ev, "pathname").Value == path
		})
		assertContext(t, ev, pid)
		assert.Equal(t, elfHeader[:20], arg(t, ev, "bytes"), name)
		assert.NotZero(t, arg(t, ev, "inode"), name)
		assert.NotZero(t, arg(t, ev, "dev"), name)
	}
	time.Sleep(200 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.events[since:] {
		if ev.EventName == "magic_write" && ev.HostProcessID == pid {
			n++
			assert.Equal(t, elfHeader[:20], domain.Arg(ev, "bytes").Value, "only the writes at offset 0")
		}
	}
	assert.Equal(t, 3, n, "one event per file: the writes at later offsets give none")
}
