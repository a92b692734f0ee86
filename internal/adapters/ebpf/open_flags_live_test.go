package ebpf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestSource_live_open_flags_as_the_lsm_hook_sees_them: security_file_open carries the open-time
// flags the kernel clears from f_flags after Tracee's LSM hook ran (O_CREAT, O_TRUNC, ...), taken
// from the syscall's own flags; and do_truncate comes from truncate/ftruncate.
func TestSource_live_open_flags_as_the_lsm_hook_sees_them(t *testing.T) {
	l := requireLive(t)
	dir := t.TempDir()
	file := func(name string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("log line\n"), 0o600))
		return p
	}
	const wr = unix.O_WRONLY
	tests := []struct {
		name, action, path, syscall string
		want, not                   int
	}{
		{"openat O_CREAT|O_TRUNC", "open-trunc", file("a.log"), "openat", wr | unix.O_CREAT | unix.O_TRUNC, 0},
		{"openat2 O_TRUNC", "openat2-trunc", file("b.log"), "openat2", wr | unix.O_TRUNC, unix.O_CREAT},
		{"creat", "creat", file("c.log"), "creat", wr | unix.O_CREAT | unix.O_TRUNC, 0},
		{"truncate -s0 opens without O_TRUNC", "ftruncate", file("d.log"), "openat", wr | unix.O_CREAT, unix.O_TRUNC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since := l.mark()
			pid, err := runHelper(tt.action, tt.path)
			require.NoError(t, err)
			ev := l.waitFor(t, since, func(ev *trace.Event) bool {
				return ev.EventName == "security_file_open" && ev.HostProcessID == pid && domain.Arg(ev, "pathname").Value == tt.path
			})
			flags := int(arg(t, ev, "flags").(int32))
			assert.Equal(t, tt.want, flags&tt.want, "flags %#x", flags)
			assert.Zero(t, flags&tt.not, "flags %#x", flags)
			assert.Equal(t, tt.syscall, ev.Syscall)
		})
	}

	truncates := []struct {
		name, action, path, syscall string
		length                      uint64
	}{
		{"ftruncate: the file's path", "ftruncate", file("e.log"), "ftruncate", 0},
		{"truncate: a relative path made absolute", "truncate-relative", file("f.log"), "truncate", 1},
	}
	for _, tt := range truncates {
		t.Run(tt.name, func(t *testing.T) {
			since := l.mark()
			pid, err := runHelper(tt.action, tt.path)
			require.NoError(t, err)
			ev := l.waitFor(t, since, func(ev *trace.Event) bool {
				return ev.EventName == "do_truncate" && ev.HostProcessID == pid
			})
			assert.Equal(t, tt.path, arg(t, ev, "pathname"))
			assert.Equal(t, tt.length, arg(t, ev, "length"))
			assert.Equal(t, tt.syscall, ev.Syscall)
			assertContext(t, ev, pid)
		})
	}
}
