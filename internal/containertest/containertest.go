// Package containertest runs short processes in real containers for live tests: the busybox
// image (scripts/busybox-image.sh) under the private containerd scripts/test.d/50-image.sh starts.
package containertest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Runtime is the test containerd with the busybox image imported.
type Runtime struct {
	addr, image string
}

var (
	importOnce sync.Once
	importErr  error
)

// Require returns the runtime, or skips t saying what is missing.
func Require(t testing.TB) *Runtime {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (containers)")
	}
	archive, image, addr := os.Getenv("TRACEE_BUSYBOX_ARCHIVE"), os.Getenv("TRACEE_BUSYBOX_IMAGE"), os.Getenv("CONTAINERD_ADDRESS")
	if archive == "" || image == "" || addr == "" {
		t.Skip("TRACEE_BUSYBOX_ARCHIVE, TRACEE_BUSYBOX_IMAGE or CONTAINERD_ADDRESS not set (scripts/test.d/50-image.sh)")
	}
	if _, err := exec.LookPath("ctr"); err != nil {
		t.Skip("needs ctr (apt-get install -y containerd)")
	}
	importOnce.Do(func() {
		out, err := exec.Command("ctr", "--address", addr, "image", "import", archive).CombinedOutput()
		if err != nil {
			importErr = fmt.Errorf("ctr image import %s: %v: %s", archive, err, out)
		}
	})
	if importErr != nil {
		t.Fatal(importErr)
	}
	return &Runtime{addr: addr, image: image}
}

// NewID returns a random 64-hex-digit container ID, the form docker and Kubernetes give.
func NewID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Address is the containerd socket; Image the busybox image's reference.
func (r *Runtime) Address() string { return r.addr }

// Image is the busybox image's reference.
func (r *Runtime) Image() string { return r.image }

// Run runs argv in a new container named id (cgroup /default/ID in each v1 controller) and
// waits until it has exited and is removed. Its output may be empty for a process that exits
// within milliseconds: ctr can lose all of it (containerd's IO race); see RequireOutput.
func (r *Runtime) Run(id string, argv ...string) (string, error) {
	return r.RunLabelled(id, nil, argv...)
}

// RunLabelled is Run with labels on the container (key=value, e.g. io.kubernetes.pod.name=web-1).
func (r *Runtime) RunLabelled(id string, labels []string, argv ...string) (string, error) {
	args := []string{"--address", r.addr, "run", "--rm"}
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	args = append(append(args, r.image, id), argv...)
	out, err := exec.Command("ctr", args...).CombinedOutput()
	if err != nil {
		_ = exec.Command("ctr", "--address", r.addr, "task", "delete", "--force", id).Run()
		_ = exec.Command("ctr", "--address", r.addr, "container", "rm", id).Run()
		return string(out), fmt.Errorf("ctr run %s: %v: %s", id, err, out)
	}
	return string(out), nil
}

// RequireOutput fails t unless out, a Run's output, contains want, or is empty: ctr lost a
// short-lived process's output, and the caller's events or findings are then the check.
func RequireOutput(t testing.TB, out, want string) {
	t.Helper()
	if out != "" && !strings.Contains(out, want) {
		t.Fatalf("the container's output lacks %q: %q", want, out)
	}
}
