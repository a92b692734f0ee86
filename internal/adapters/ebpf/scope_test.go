package ebpf

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// TestSource_Run_drops_out_of_scope_events_in_the_kernel: with one policy scoped to comm "true",
// the helper's kill calls (comm ebpf.test) never leave the kernel, while /bin/true's exec does
// and carries the policy's bit.
func TestSource_Run_drops_out_of_scope_events_in_the_kernel(t *testing.T) {
	requireLive(t)
	ks := &domain.KernelScope{
		AllPolicies: 1,
		UID:         domain.NumericKernelFilter{Values: map[uint64]domain.KernelBits{}},
		PID:         domain.NumericKernelFilter{Values: map[uint64]domain.KernelBits{}},
		MntNS:       domain.NumericKernelFilter{Values: map[uint64]domain.KernelBits{}},
		PidNS:       domain.NumericKernelFilter{Values: map[uint64]domain.KernelBits{}},
		Comm:        domain.StringKernelFilter{Equal: 1, Values: map[string]domain.KernelBits{"true": {Equal: 1}}},
		Events:      map[string]uint64{"kill": 1, "sched_process_exec": 1},
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	src, events, mu, cancel, done := startSource(t, Config{Scope: ks}, log, "kill", "sched_process_exec")
	defer func() { cancel(); <-done }()

	pid, err := runHelper("syscalls", t.TempDir())
	require.NoError(t, err)
	truePid := 0
	require.Eventually(t, func() bool {
		p, err := runHelper("exec-true")
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range *events {
			if ev.EventName == "sched_process_exec" && ev.HostParentProcessID == p {
				truePid = ev.HostProcessID
				assert.Equal(t, uint64(1), ev.MatchedPoliciesKernel)
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "exec of /bin/true passes the scope (a loaded machine can take seconds per helper)")
	assert.NotZero(t, truePid)
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range *events {
		assert.False(t, ev.EventName == "kill" && ev.HostProcessID == pid, "kill from comm %q passed the kernel scope", ev.ProcessName)
	}
	mu.Unlock()

	// A kill storm out of scope: the records never reach the ring.
	before := src.Stats().EventsRead
	out, err := helperCommand("storm", "1:1:0").Output()
	require.NoError(t, err)
	calls, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	require.Greater(t, calls, 10000)
	time.Sleep(200 * time.Millisecond)
	assert.Less(t, src.Stats().EventsRead-before, uint64(calls/10), "the kernel dropped the out-of-scope kill events")
	mu.Lock()
}

// TestSource_Run_scope_by_uid: the kernel looks up only the fields some policy filters on; a uid
// policy must still decide by uid, both ways.
func TestSource_Run_scope_by_uid(t *testing.T) {
	requireLive(t)
	// More syscall events than maxPerSyscall put kill on the raw sys_enter/sys_exit pair: scope works
	// on both paths.
	more := moreSyscalls(maxPerSyscall + 1)
	for _, tt := range []struct {
		scope  string
		pass   bool
		global bool
	}{{"uid=" + strconv.Itoa(os.Geteuid()), true, false}, {"uid=12345", false, false}, {"uid!=12345", true, false},
		{"uid=" + strconv.Itoa(os.Geteuid()), true, true}, {"uid=12345", false, true}} {
		t.Run(fmt.Sprintf("%s global=%v", tt.scope, tt.global), func(t *testing.T) {
			ks, need := scopeFor(t, tt.scope)
			if tt.global {
				need = append(need, more...)
			}
			require.Equal(t, tt.global, useGlobalSyscalls(Events(), setOf(need...)))
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			_, events, mu, cancel, done := startSource(t, Config{Scope: ks}, log, need...)
			defer func() { cancel(); <-done }()
			seen := func() bool {
				mu.Lock()
				defer mu.Unlock()
				for _, ev := range *events {
					if ev.EventName == "kill" && ev.ProcessName == "ebpf.test" {
						return true
					}
				}
				return false
			}
			if tt.pass {
				require.Eventually(t, func() bool {
					_, err := runHelper("syscalls", t.TempDir())
					require.NoError(t, err)
					return seen()
				}, 10*time.Second, 100*time.Millisecond, "kill passes %s", tt.scope)
				return
			}
			for i := 0; i < 5; i++ {
				_, err := runHelper("syscalls", t.TempDir())
				require.NoError(t, err)
			}
			time.Sleep(300 * time.Millisecond)
			assert.False(t, seen(), "kill passed %s", tt.scope)
		})
	}
}

// moreSyscalls names n available syscall events other than kill.
func moreSyscalls(n int) []string {
	var out []string
	for _, d := range Events() {
		if d.Nr >= 0 && d.Unavailable == "" && d.Name != "kill" && len(out) < n {
			out = append(out, d.Name)
		}
	}
	return out
}
