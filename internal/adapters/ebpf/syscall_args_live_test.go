package ebpf

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// readyHandler notes when the source logs that it is ready.
type readyHandler struct {
	once  sync.Once
	ready chan struct{}
}

func (h *readyHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *readyHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "eBPF source ready" {
		h.once.Do(func() { close(h.ready) })
	}
	return nil
}
func (h *readyHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *readyHandler) WithGroup(string) slog.Handler      { return h }

// allSyscalls names every syscall event this source can produce.
func allSyscalls() []string {
	var out []string
	for _, def := range Events() {
		if def.Nr >= 0 && def.Unavailable == "" {
			out = append(out, def.Name)
		}
	}
	return out
}

// TestSource_live_syscall_args checks syscall events decoded by their definitions, on the
// per-syscall tracepoints (a few syscalls) and on the raw sys_enter/sys_exit pair (every syscall).
func TestSource_live_syscall_args(t *testing.T) {
	requireLive(t)
	forks := []string{"clone", "clone3", "fork", "vfork"}
	checked := append([]string{"openat", "execve", "connect", "pipe2", "nanosleep"}, forks...)
	for _, tt := range []struct {
		name string
		need []string
	}{
		{"per-syscall tracepoints", checked},
		{"every syscall", allSyscalls()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, len(tt.need) > maxPerSyscall, useGlobalSyscalls(Events(), setOf(tt.need...)))
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			dir := t.TempDir()

			h := &readyHandler{ready: make(chan struct{})}
			src, err := New(Config{}, slog.New(h))
			require.NoError(t, err)
			var mu sync.Mutex
			var events []*trace.Event
			keep := setOf(checked...)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				done <- src.Run(ctx, domain.Selection{Need: setOf(tt.need...)}, func(ev *trace.Event) {
					if keep[ev.EventName] { // every syscall of the machine: keep what the test looks at
						mu.Lock()
						events = append(events, ev)
						mu.Unlock()
					}
				})
			}()
			select {
			case <-h.ready:
			case err := <-done:
				t.Fatalf("Run: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("not ready in 30 s")
			}
			ready := time.Since(start)
			t.Logf("%d syscall events selected: ready in %v", len(tt.need), ready)
			assert.Less(t, ready, 5*time.Second, "ready within 5 s")

			find := func(name string, pid int, byParent bool) *trace.Event {
				mu.Lock()
				defer mu.Unlock()
				for _, ev := range events {
					if ev.EventName == name && (!byParent && ev.HostProcessID == pid || byParent && ev.HostParentProcessID == pid) {
						return ev
					}
				}
				return nil
			}
			var pid int
			var fds [2]int32
			// A busy machine's syscalls share the ring: retry if one of ours was dropped.
			require.Eventually(t, func() bool {
				cmd := helperCommand("syscall-args", dir+"|127.0.0.1:"+port)
				out, err := cmd.Output()
				require.NoError(t, err)
				pid = cmd.Process.Pid
				_, err = fmt.Sscan(string(out), &fds[0], &fds[1])
				require.NoError(t, err, "pipe fds printed: %q", out)
				time.Sleep(200 * time.Millisecond)
				return find("openat", pid, false) != nil && find("pipe2", pid, false) != nil &&
					find("connect", pid, false) != nil && find("execve", pid, true) != nil && find("nanosleep", pid, false) != nil
			}, 20*time.Second, 10*time.Millisecond)

			created := filepath.Join(dir, "created")
			mu.Lock()
			var open *trace.Event
			for _, ev := range events {
				if ev.EventName == "openat" && ev.HostProcessID == pid && domain.Arg(ev, "pathname").Value == created {
					open = ev
				}
			}
			mu.Unlock()
			require.NotNil(t, open, "openat of %s", created)
			assert.Equal(t, int32(unix.AT_FDCWD), arg(t, open, "dirfd"))
			assert.Equal(t, int32(unix.O_CREAT|unix.O_TRUNC|unix.O_WRONLY), arg(t, open, "flags"))
			assert.Equal(t, uint16(0o640), arg(t, open, "mode"))
			assert.GreaterOrEqual(t, open.ReturnValue, 3, "the fd")
			assert.Equal(t, "openat", open.Syscall)

			ex := find("execve", pid, true)
			assert.Equal(t, "/bin/true", arg(t, ex, "pathname"))
			assert.Equal(t, []string{"/bin/true", "argv-marker"}, arg(t, ex, "argv"))
			assert.Contains(t, arg(t, ex, "envp"), testEnvVar)
			assert.Equal(t, "ebpf.test", ex.ProcessName, "emitted at entry: the comm before the exec")

			c := find("connect", pid, false)
			assert.Equal(t, map[string]string{"sa_family": "AF_INET", "sin_addr": "127.0.0.1", "sin_port": port}, arg(t, c, "addr"))
			assert.IsType(t, int32(0), arg(t, c, "sockfd"))
			assert.LessOrEqual(t, int32(3), arg(t, c, "sockfd"))
			assert.Equal(t, int32(16), arg(t, c, "addrlen"))

			p := find("pipe2", pid, false)
			assert.Equal(t, fds, arg(t, p, "pipefd"), "the fds pipe2 returned")
			assert.Equal(t, int32(unix.O_CLOEXEC), arg(t, p, "flags"))
			assert.Equal(t, 0, p.ReturnValue)

			mu.Lock()
			for _, ev := range events { // the test opened /dev/null for each helper's stdin
				assert.NotEqual(t, os.Getpid(), ev.HostProcessID, "the source's own syscalls stay in the kernel")
			}
			mu.Unlock()

			// The Go runtime sleeps too (usleep): look for the helper's 1.5 ms.
			var ns *trace.Event
			mu.Lock()
			for _, ev := range events {
				if ev.EventName == "nanosleep" && ev.HostProcessID == pid && domain.Arg(ev, "req").Value == 0.0015 {
					ns = ev
				}
			}
			mu.Unlock()
			require.NotNil(t, ns, "nanosleep with req 0.0015 (a struct timespec in seconds)")
			assert.Equal(t, float64(0), arg(t, ns, "rem"), "NULL")

			// The helper started /bin/true: its clone (whichever of the family Go used) is sent once,
			// at the parent's return with the child's pid; the child leaves the syscall too, with 0
			// and its parent's registers, but never entered it: no event.
			var parentSide *trace.Event
			mu.Lock()
			for _, ev := range events {
				if !slices.Contains(forks, ev.EventName) {
					continue
				}
				assert.NotZero(t, ev.ReturnValue, "%s sent at a new thread's first return (pid %d)", ev.EventName, ev.HostProcessID)
				if ev.HostProcessID == pid && ev.ReturnValue > 0 {
					parentSide = ev
				}
			}
			mu.Unlock()
			require.NotNil(t, parentSide, "the helper's clone")

			stop := time.Now()
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return in 30 s")
			}
			t.Logf("%d syscall events selected: Run returned %v after cancel", len(tt.need), time.Since(stop))
			assert.Less(t, time.Since(stop), 5*time.Second, "Run returns within 5 s of cancel")
		})
	}
}

func setOf(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// TestSource_live_refused_entry_program_takes_only_its_event: the entry programs share one
// sys_enter dispatcher, but each sits in its own slots: when the kernel refuses connect's, only
// security_socket_connect is lost; mprotect's and execve's entries still send their events.
func TestSource_live_refused_entry_program_takes_only_its_event(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat(btfPath); err != nil {
		t.Skip("needs BTF (" + btfPath + ")")
	}
	cfg := Config{editSpec: func(spec *ebpf.CollectionSpec) {
		// returns without setting R0: the verifier refuses it
		spec.Programs[traceeProgSysEnterConnect].Instructions = asm.Instructions{asm.Return()}
	}}
	_, got, mu, cancel, done := startSource(t, cfg, nil, "security_socket_connect", "mem_prot_alert", "execve")
	defer func() { cancel(); require.NoError(t, <-done) }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	seen := func(name string, pid int) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(*got, func(ev *trace.Event) bool { return ev.EventName == name && ev.HostProcessID == pid })
	}
	var execPid, mprotectPid, connectPid int
	require.Eventually(t, func() bool {
		execPid, _ = runHelper("exec-true")
		mprotectPid, _ = runHelper("mprotect-rwx")
		connectPid, _ = runHelper("connect", ln.Addr().String())
		return seen("execve", execPid) && seen("mem_prot_alert", mprotectPid)
	}, 20*time.Second, 100*time.Millisecond, "execve and mem_prot_alert go on without connect's program")
	time.Sleep(200 * time.Millisecond) // the last connect's event would be in by now
	assert.False(t, seen("security_socket_connect", connectPid), "connect's program was refused: no event")
}
