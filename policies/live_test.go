package policies

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const livePolicies = `apiVersion: tracee.aquasec.com/v1beta1
kind: Policy
metadata:
  name: probe-a
spec:
  scope:
    - comm=policy-probe-a
  rules:
    - event: sched_process_exec
---
apiVersion: tracee.aquasec.com/v1beta1
kind: Policy
metadata:
  name: uid-4242
spec:
  scope:
    - uid=4242
  rules:
    - event: sched_process_exec
`

// TestLive_policy_scoped_to_a_comm_or_uid_sees_only_that runs the eBPF source with two policies,
// one scoped to a process name and one to a uid, and checks that only those processes' events
// come out, each naming its policy.
func TestLive_policy_scoped_to_a_comm_or_uid_sees_only_that(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs BTF (/sys/kernel/btf/vmlinux)")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // uid 4242 must be able to run from it
		t.Fatal(err)
	}
	policyFile := filepath.Join(dir, "live.yaml")
	if err := os.WriteFile(policyFile, []byte(livePolicies), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := policyfile.New().Load(context.Background(), []string{policyFile})
	if err != nil {
		t.Fatal(err)
	}
	cat := domain.NewCatalog(domain.BaseEvents())
	set, err := domain.NewPolicySet(cat, ps)
	if err != nil {
		t.Fatal(err)
	}
	trueBin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("needs the true command")
	}
	probe := func(name string) string {
		data, err := os.ReadFile(trueBin)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	probeA, probeB := probe("policy-probe-a"), probe("policy-probe-b")

	src, err := ebpf.New(ebpf.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var emitted []trace.Event
	seen := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, set.Selection(), func(ev *trace.Event) {
			emit, _ := set.Match(ev)
			mu.Lock()
			defer mu.Unlock()
			seen++
			if emit {
				emitted = append(emitted, *ev)
			}
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("source: %v", err)
		}
	}()

	run := func(path string, uid uint32) {
		cmd := exec.Command(path)
		if uid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		}
		_ = cmd.Run()
	}
	want := map[string]string{"policy-probe-a": "probe-a", "uid-4242": "uid-4242"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		run(probeA, 0)
		run(probeB, 0)
		run(trueBin, 4242)
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		got := map[string]bool{}
		for _, ev := range emitted {
			got[strings.Join(ev.MatchedPolicies, ",")] = true
		}
		n := seen
		mu.Unlock()
		if got["probe-a"] && got["uid-4242"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: policies seen %v among %d events from the source", got, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range emitted {
		switch {
		case ev.EventName != "sched_process_exec":
			t.Errorf("unexpected event %s", ev.EventName)
		case ev.ProcessName == "policy-probe-a":
			if strings.Join(ev.MatchedPolicies, ",") != want["policy-probe-a"] {
				t.Errorf("probe-a exec matched %v", ev.MatchedPolicies)
			}
		case ev.UserID == 4242:
			if strings.Join(ev.MatchedPolicies, ",") != want["uid-4242"] {
				t.Errorf("uid 4242 exec matched %v", ev.MatchedPolicies)
			}
		default:
			t.Errorf("event outside both scopes emitted: comm %s uid %d policies %v", ev.ProcessName, ev.UserID, ev.MatchedPolicies)
		}
	}
	t.Logf("%d events from the source, %d emitted", seen, len(emitted))
}
