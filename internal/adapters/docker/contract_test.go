package docker

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/inspectortest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

const fakeID = "4a1f0e5c2b7d9e3f6a8c1b0d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f"

// serveUnix serves h on a unix socket in a temporary directory and returns its path.
func serveUnix(t *testing.T, h http.Handler) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return sock
}

// fakeDocker answers as Docker's Engine API does (shapes from its API reference): a container
// started by cri-dockerd for a Kubernetes pod, and its image.
func fakeDocker() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != fakeID {
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprintf(w, `{"message":"No such container: %s"}`, r.PathValue("id"))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"Id": fakeID, "Name": "/k8s_nginx_web-1_shop_0c6a", "Image": "sha256:8a70cc346cff253fd11a057c4e78c5af51558fa1d92689363f385790abe790b2",
			"Config": map[string]any{"Image": "nginx:1.27", "Labels": map[string]string{
				"io.kubernetes.pod.name": "web-1", "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": "0c6a7b1e-22d4-4f0a-9b3e-5d6c7e8f9a0b",
				"io.kubernetes.container.name": "nginx", "io.kubernetes.docker.type": "container"}},
			"State": map[string]any{"Running": true, "Pid": 4242},
		})
	})
	mux.HandleFunc("GET /images/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"Id": r.PathValue("id"),
			"RepoDigests": []string{"nginx@sha256:3ed6b02b765656d859b923314fea5c477e710db55338285466c32079b5201cef"}})
	})
	return mux
}

// Docker's daemon (docker.io) is not run here: it takes over the host's iptables and bridges on a
// machine shared with other tests, so the contract runs against a fake of its documented answers.
func TestInspector_contract_docker_fake(t *testing.T) {
	inspectortest.Run(t, inspectortest.Fixture{
		Inspector: New(Config{Socket: serveUnix(t, fakeDocker()), Runtime: "docker"}),
		Known: domain.ContainerInfo{ID: fakeID, Name: "nginx", Image: "nginx:1.27", Runtime: "docker",
			ImageDigest: "sha256:3ed6b02b765656d859b923314fea5c477e710db55338285466c32079b5201cef",
			Pod:         domain.PodInfo{Name: "web-1", Namespace: "shop", UID: "0c6a7b1e-22d4-4f0a-9b3e-5d6c7e8f9a0b"}},
		Unreachable: New(Config{Socket: filepath.Join(t.TempDir(), "none.sock"), Runtime: "docker"}),
	})
}

// The contract against a real Podman API service (`podman system service`, started by
// scripts/test.d/55-podman.sh) with a container created from the busybox test image.
func TestInspector_contract_real_podman(t *testing.T) {
	sock, archive, image := os.Getenv("PODMAN_SOCKET"), os.Getenv("TRACEE_BUSYBOX_ARCHIVE"), os.Getenv("TRACEE_BUSYBOX_IMAGE")
	if sock == "" || archive == "" || image == "" {
		t.Skip("PODMAN_SOCKET, TRACEE_BUSYBOX_ARCHIVE or TRACEE_BUSYBOX_IMAGE not set (scripts/test.d/50-image.sh, 55-podman.sh)")
	}
	podman := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("podman", append([]string{"--url", "unix://" + sock}, args...)...).CombinedOutput()
		require.NoError(t, err, "podman %s: %s", strings.Join(args, " "), out)
		return strings.TrimSpace(string(out))
	}
	podman("load", "-i", archive)
	name := fmt.Sprintf("tracee-enrich-%d", os.Getpid())
	id := podman("create", "--name", name, "--label", "io.kubernetes.pod.name=web-1", "--label", "io.kubernetes.pod.namespace=shop", image, "true")
	t.Cleanup(func() { _ = exec.Command("podman", "--url", "unix://"+sock, "rm", "-f", id).Run() })
	digest := podman("image", "inspect", "--format", "{{.Digest}}", image)
	inspectortest.Run(t, inspectortest.Fixture{
		Inspector: New(Config{Socket: sock, Runtime: "podman"}),
		Known: domain.ContainerInfo{ID: id, Name: name, Image: image, ImageDigest: digest, Runtime: "podman",
			Pod: domain.PodInfo{Name: "web-1", Namespace: "shop"}},
		Unreachable: New(Config{Socket: filepath.Join(t.TempDir(), "none.sock"), Runtime: "podman"}),
	})
}
