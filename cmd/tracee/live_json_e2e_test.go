package main

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/compat"
)

// TestLive_JSON_is_Tracee_JSON runs the built agent live with a mix of syscall and kernel events,
// makes them happen, and reads every line of its `-o json` output with Tracee's own decoder: each
// argument of each event must carry the type Tracee v0.24.1's definition gives and read back
// through the v0.24 getters. `-e openat` must show the test's own openat with Tracee's names.
func TestLive_JSON_is_Tracee_JSON(t *testing.T) {
	bin := builtTracee(t)
	dir := t.TempDir()
	events := "openat,execve,connect,pipe2,unlinkat,sched_process_exec,sched_process_fork,sched_process_exit," +
		"security_file_open,magic_write,security_socket_connect,security_socket_create,security_socket_bind,security_socket_listen"
	target := filepath.Join(dir, "opened-by-the-test")
	script := `printf '\177ELFxx' > "$1"; cat "$1" >/dev/null; rm "$1"; ` +
		`perl -MIO::Socket::INET -e 'IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1:0"); IO::Socket::INET->new(PeerAddr=>"127.0.0.1:9",Timeout=>1)'; ` +
		`perl -e 'pipe(my $r, my $w)'`
	out := runLive(t, bin, []string{"-e", events}, func() {
		actOut, err := exec.Command("sh", "-c", script, "sh", target).CombinedOutput()
		require.NoError(t, err, string(actOut))
	})
	check := compat.NewChecker(ebpf.Events())
	seen := map[string]int{}
	var sawOpen bool
	lines := 0
	for _, line := range out {
		lines++
		ev, errs := check.CheckDecoded([]byte(line))
		for _, e := range errs {
			t.Errorf("line %d: %v", lines, e)
		}
		seen[ev.EventName]++
		if ev.EventName == "openat" {
			if p, _ := ev.GetStringArgumentByName("pathname"); p == target {
				flags, err := ev.GetIntArgumentByName("flags")
				require.NoError(t, err)
				_, err = ev.GetIntArgumentByName("dirfd")
				assert.NoError(t, err)
				// the shell's > opens with the syscall's own O_CREAT|O_TRUNC (cat's open has none)
				if flags&syscall.O_CREAT != 0 && flags&syscall.O_TRUNC != 0 {
					sawOpen = true
				}
			}
		}
	}
	assert.True(t, sawOpen, "openat(O_CREAT|O_TRUNC) of %s not seen; events: %v", target, seen)
	for _, want := range []string{"execve", "sched_process_exec", "sched_process_fork", "sched_process_exit", "security_file_open",
		"magic_write", "connect", "security_socket_connect", "pipe2", "unlinkat"} {
		assert.NotZero(t, seen[want], "no %s event; events: %v", want, seen)
	}
	t.Logf("%d live events, all read by Tracee's decoder: %v", lines, seen)
}
