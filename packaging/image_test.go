package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The image built here (scripts/image.sh: buildah from scratch, Debian's libc6, the built files)
// runs under containerd with what the DaemonSet gives it: the host's PID namespace, CAP_BPF and
// CAP_PERFMON added to the runtime's default set (not privileged), /sys/kernel/btf and
// /sys/kernel/tracing mounted read-only; it reports a live finding of a host process.
func TestImage_runs_under_containerd_and_sees_a_live_finding(t *testing.T) {
	needRoot(t)
	archive, image, addr := os.Getenv("TRACEE_IMAGE_ARCHIVE"), os.Getenv("TRACEE_IMAGE"), os.Getenv("CONTAINERD_ADDRESS")
	if archive == "" || image == "" || addr == "" {
		t.Skip("TRACEE_IMAGE_ARCHIVE, TRACEE_IMAGE or CONTAINERD_ADDRESS not set (scripts/test.d/50-image.sh)")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs BTF (/sys/kernel/btf/vmlinux)")
	}
	_ = exec.Command("sh", "-c", "mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing").Run()
	ctr := func(args ...string) *exec.Cmd {
		return exec.Command("ctr", append([]string{"--address", addr}, args...)...)
	}
	out, err := ctr("image", "import", archive).CombinedOutput()
	require.NoError(t, err, "ctr image import: %s", out)

	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	id := fmt.Sprintf("tracee-test-%d", os.Getpid())
	// not CommandContext: killing the ctr client would leave its task and shim behind
	run := exec.Command("ctr", "--address", addr, "run", "--rm",
		"--cap-add", "CAP_BPF", "--cap-add", "CAP_PERFMON",
		"--with-ns", fmt.Sprintf("pid:/proc/%d/ns/pid", os.Getpid()), // the host's PID namespace
		"--mount", "type=bind,src=/sys/kernel/btf,dst=/sys/kernel/btf,options=rbind:ro",
		"--mount", "type=bind,src=/sys/kernel/tracing,dst=/sys/kernel/tracing,options=rbind:ro",
		"--mount", "type=bind,src="+dir+",dst=/out,options=rbind:rw",
		image, id,
		"/usr/bin/tracee", "--signatures-dir", "/usr/lib/tracee/signatures", "--output", "json:/out/findings.json",
		"--alerts-db", "none")
	logf, err := os.Create(filepath.Join(t.TempDir(), "ctr.log"))
	require.NoError(t, err)
	run.Stdout, run.Stderr = logf, logf
	require.NoError(t, run.Start())
	exited := make(chan struct{})
	go func() { _ = run.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = ctr("task", "kill", "-s", "SIGINT", id).Run()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = ctr("task", "kill", "-s", "SIGKILL", id).Run()
			<-exited
		}
		// ctr run --rm deletes both; these only matter if it could not
		_ = ctr("task", "delete", "--force", id).Run()
		_ = ctr("container", "rm", id).Run()
	})
	findings := filepath.Join(dir, "findings.json")
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		_ = exec.Command("perl", "-e", "syscall(101,0,0,0,0)").Run() // PTRACE_TRACEME on the host
		if b, _ := os.ReadFile(findings); strings.Contains(string(b), `"TRC-102"`) {
			assert.Contains(t, string(b), `"anti_debugging"`)
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	log, _ := os.ReadFile(logf.Name())
	t.Fatalf("no TRC-102 from the container within 90s; ctr output:\n%s", log)
}
