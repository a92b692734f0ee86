package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	if os.Geteuid() != 0 {
		t.Skip("needs root: the eBPF source loads programs into the kernel")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs a kernel with BTF (/sys/kernel/btf/vmlinux)")
	}
	bin := builtTracee(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "events.json")
	events := "openat,execve,connect,pipe2,unlinkat,sched_process_exec,sched_process_fork,sched_process_exit," +
		"security_file_open,magic_write,security_socket_connect,security_socket_create,security_socket_bind,security_socket_listen"
	cmd := exec.Command(bin, "-e", events, "--output", "json:"+out, "--alerts-db", "none")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill() //nolint:errcheck
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "eBPF source ready") {
		if time.Now().After(deadline) {
			t.Fatalf("agent not ready: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	target := filepath.Join(dir, "opened-by-the-test")
	script := `printf '\177ELFxx' > "$1"; cat "$1" >/dev/null; rm "$1"; ` +
		`perl -MIO::Socket::INET -e 'IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1:0"); IO::Socket::INET->new(PeerAddr=>"127.0.0.1:9",Timeout=>1)'; ` +
		`perl -e 'pipe(my $r, my $w)'`
	act := exec.Command("sh", "-c", script, "sh", target)
	actOut, err := act.CombinedOutput()
	require.NoError(t, err, string(actOut))
	time.Sleep(500 * time.Millisecond) // the reader polls the ring every 50 ms
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("agent did not stop: %s", stderr.String())
	}

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	check := compat.NewChecker(ebpf.Events())
	seen := map[string]int{}
	var sawOpen bool
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	lines := 0
	for sc.Scan() {
		lines++
		ev, errs := check.CheckDecoded(sc.Bytes())
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
	require.NoError(t, sc.Err())
	assert.True(t, sawOpen, "openat(O_CREAT|O_TRUNC) of %s not seen; events: %v", target, seen)
	for _, want := range []string{"execve", "sched_process_exec", "sched_process_fork", "sched_process_exit", "security_file_open",
		"magic_write", "connect", "security_socket_connect", "pipe2", "unlinkat"} {
		assert.NotZero(t, seen[want], "no %s event; events: %v", want, seen)
	}
	t.Logf("%d live events, all read by Tracee's decoder: %v", lines, seen)
}
