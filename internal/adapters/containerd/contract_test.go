package containerd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/inspectortest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// The contract against a real containerd (scripts/test.d/50-image.sh starts one and imports the
// busybox test image): a container created with Kubernetes' labels in the k8s.io namespace, so the
// namespace walk has to find it there.
func TestInspector_contract_real_containerd(t *testing.T) {
	addr, archive, image := os.Getenv("CONTAINERD_ADDRESS"), os.Getenv("TRACEE_BUSYBOX_ARCHIVE"), os.Getenv("TRACEE_BUSYBOX_IMAGE")
	if addr == "" || archive == "" || image == "" {
		t.Skip("CONTAINERD_ADDRESS, TRACEE_BUSYBOX_ARCHIVE or TRACEE_BUSYBOX_IMAGE not set (scripts/test.d/50-image.sh)")
	}
	ctr := func(args ...string) {
		t.Helper()
		out, err := exec.Command("ctr", append([]string{"--address", addr, "--namespace", "k8s.io"}, args...)...).CombinedOutput()
		require.NoError(t, err, "ctr %s: %s", strings.Join(args, " "), out)
	}
	ctr("image", "import", archive)
	id := fmt.Sprintf("%064x", os.Getpid())
	ctr("container", "create", "--label", "io.kubernetes.pod.name=web-1", "--label", "io.kubernetes.pod.namespace=shop",
		"--label", "io.kubernetes.pod.uid=8f0e3a52-1b7c-4d2e-9a41-3c5d6e7f8091", "--label", "io.kubernetes.container.name=nginx",
		image, id)
	t.Cleanup(func() {
		_ = exec.Command("ctr", "--address", addr, "--namespace", "k8s.io", "container", "rm", id).Run()
	})

	in, err := New(Config{Socket: addr})
	require.NoError(t, err)
	t.Cleanup(func() { _ = in.Close() })
	dead, err := New(Config{Socket: filepath.Join(t.TempDir(), "none.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dead.Close() })
	inspectortest.Run(t, inspectortest.Fixture{
		Inspector: in,
		Known: domain.ContainerInfo{ID: id, Name: "nginx", Image: image, ImageDigest: imageDigest(t, addr, image), Runtime: "containerd",
			Pod: domain.PodInfo{Name: "web-1", Namespace: "shop", UID: "8f0e3a52-1b7c-4d2e-9a41-3c5d6e7f8091"}},
		Unreachable: dead,
	})
	t.Run("a container of the default namespace, without Kubernetes labels: no name, no pod", func(t *testing.T) {
		out, err := exec.Command("ctr", "--address", addr, "image", "import", archive).CombinedOutput()
		require.NoError(t, err, "%s", out)
		plain := fmt.Sprintf("%064x", os.Getpid()+1)
		out, err = exec.Command("ctr", "--address", addr, "container", "create", image, plain).CombinedOutput()
		require.NoError(t, err, "%s", out)
		defer func() { _ = exec.Command("ctr", "--address", addr, "container", "rm", plain).Run() }()
		got, err := in.Inspect(context.Background(), plain)
		require.NoError(t, err)
		require.Equal(t, domain.ContainerInfo{ID: plain, Image: image, ImageDigest: got.ImageDigest, Runtime: "containerd", Labels: got.Labels}, got)
		require.NotEmpty(t, got.ImageDigest)
	})
}

// imageDigest asks ctr for the image's target digest.
func imageDigest(t *testing.T, addr, image string) string {
	out, err := exec.Command("ctr", "--address", addr, "--namespace", "k8s.io", "image", "ls").Output()
	require.NoError(t, err)
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == image {
			return f[2]
		}
	}
	t.Fatalf("image %s not listed:\n%s", image, out)
	return ""
}
