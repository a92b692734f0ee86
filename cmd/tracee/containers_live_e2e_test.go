package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/containertest"
	"github.com/seed-428f5ad7/tracee/internal/syncbuf"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestLive_container_enrichment_from_containerd runs the agent live with --enrichment container
// against a real containerd (scripts/test.d/50-image.sh), then a short-lived `ctr run --rm`
// container of the busybox test image, labelled as a Kubernetes pod's, that runs `cat /etc/shadow`
// and lives half a second more (the runtime's record must still exist when the first event is read).
// The finding (EXT-001) in the JSON output and in the embedded store carries the container's
// name (the io.kubernetes.container.name label: containerd has no names), image, digest and pod,
// and `alerts search --pod/--image/--container` finds it after the container is gone.
func TestLive_container_enrichment_from_containerd(t *testing.T) {
	rt := containertest.Require(t)
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs a kernel with BTF (/sys/kernel/btf/vmlinux)")
	}
	addr, image := rt.Address(), rt.Image()
	bin := builtTracee(t)
	ls, err := exec.Command("ctr", "--address", addr, "image", "ls").Output()
	require.NoError(t, err)
	digest := ""
	for _, line := range strings.Split(string(ls), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == image {
			digest = f[2]
		}
	}
	require.NotEmpty(t, digest, "image %s not listed:\n%s", image, ls)

	dir := t.TempDir()
	jsonOut, db := filepath.Join(dir, "findings.json"), filepath.Join(dir, "alerts.db")
	agent := exec.Command(bin, "--enrichment", "container.containerd.socket="+addr, "-e", "credential_file_read",
		"--output", "json:"+jsonOut, "--alerts-db", db)
	var stderr syncbuf.Buffer
	agent.Stderr = &stderr
	require.NoError(t, agent.Start())
	defer agent.Process.Kill() //nolint:errcheck
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "eBPF source ready") {
		if time.Now().After(deadline) {
			t.Fatalf("agent not ready: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	id := containertest.NewID()
	out, err := rt.RunLabelled(id, []string{"io.kubernetes.pod.name=web-1", "io.kubernetes.pod.namespace=shop",
		"io.kubernetes.pod.uid=6d3c1f0a-5b2e-4c8d-9e7f-0a1b2c3d4e5f", "io.kubernetes.container.name=shop-web"},
		"sh", "-c", "cat /etc/shadow >/dev/null; sleep 0.5")
	require.NoError(t, err, "ctr run: %s", out)
	_, err = exec.Command("ctr", "--address", addr, "container", "info", id).CombinedOutput()
	require.Error(t, err, "ctr run --rm deleted the container: the finding must have been enriched while it lived")

	var finding *trace.Event
	deadline = time.Now().Add(20 * time.Second)
	for finding == nil && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		b, _ := os.ReadFile(jsonOut)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var ev trace.Event
			if json.Unmarshal([]byte(line), &ev) == nil && ev.EventName == "credential_file_read" && ev.Container.ID == id {
				finding = &ev
				break
			}
		}
	}
	_ = agent.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- agent.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("agent did not stop: %s", stderr.String())
	}
	if finding == nil {
		b, _ := os.ReadFile(jsonOut)
		t.Fatalf("no credential_file_read finding from container %s; output:\n%s\nagent stderr:\n%s", id, b, stderr.String())
	}
	assert.Equal(t, trace.Container{ID: id, Name: "shop-web", ImageName: image, ImageDigest: digest}, finding.Container)
	assert.Equal(t, trace.Kubernetes{PodName: "web-1", PodNamespace: "shop", PodUID: "6d3c1f0a-5b2e-4c8d-9e7f-0a1b2c3d4e5f"}, finding.Kubernetes)
	assert.Equal(t, id, finding.ContainerID)

	// the embedded store, searched after the container is gone
	for _, q := range [][]string{{"--pod", "web-1"}, {"--pod", "shop/web-1"}, {"--image", image}, {"--container", "shop-web"}} {
		stdout, errOut, code := runTraceeIn(t, bin, "", append([]string{"alerts", "search", "--db", db, "-o", "json"}, q...)...)
		require.Equal(t, 0, code, "alerts search %v: %s", q, errOut)
		var got []map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
		require.NotEmpty(t, got, "alerts search %v found nothing", q)
		assert.Equal(t, "shop-web", got[0]["container"], "alerts search %v", q)
		assert.Equal(t, image, got[0]["image"], "alerts search %v", q)
		assert.Equal(t, "web-1", got[0]["pod"], "alerts search %v", q)
		assert.Equal(t, "shop", got[0]["podNamespace"], "alerts search %v", q)
	}
	stdout, _, code := runTraceeIn(t, bin, "", "alerts", "search", "--db", db, "-o", "json", "--pod", "web-2")
	require.Equal(t, 0, code)
	assert.NotContains(t, stdout, id, "--pod web-2 must not find web-1's alert")
}
