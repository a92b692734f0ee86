package crio

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/inspectortest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

const (
	containerID = "9b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c"
	sandboxID   = "1f3e5d7c9b0a2e4d6c8b0a1f3e5d7c9b2a4e6d8c0b1a3f5e7d9c1b2a4e6d8c0b"
)

// fakeCRIO answers GET /containers/ID as CRI-O's inspect endpoint does (its pkg/types.ContainerInfo):
// a pod's application container and its sandbox.
func fakeCRIO(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/{id}", func(w http.ResponseWriter, r *http.Request) {
		labels := map[string]string{"io.kubernetes.pod.name": "web-1", "io.kubernetes.pod.namespace": "shop",
			"io.kubernetes.pod.uid": "5e1d2c3b-4a59-4687-b7c8-d9e0f1a2b3c4"}
		info := map[string]any{"pid": 4242, "created_time": 1764500000000000000, "sandbox": sandboxID,
			"log_path": "/var/log/pods/x.log", "root": "/var/lib/containers/storage/overlay/x/merged", "ip_addresses": []string{"10.85.0.7"},
			"annotations": map[string]string{}, "crio_annotations": map[string]string{}}
		switch r.PathValue("id") {
		case containerID:
			labels["io.kubernetes.container.name"] = "nginx"
			info["name"] = "k8s_nginx_web-1_shop_5e1d2c3b_0"
			info["image"] = "docker.io/library/nginx:1.27"
			info["image_ref"] = "docker.io/library/nginx@sha256:3ed6b02b765656d859b923314fea5c477e710db55338285466c32079b5201cef"
		case sandboxID:
			info["name"] = "k8s_POD_web-1_shop_5e1d2c3b_0"
			info["image"] = "registry.k8s.io/pause:3.9"
			info["image_ref"] = "sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c"
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprintf(w, "can't find the container with id %s", r.PathValue("id"))
			return
		}
		info["labels"] = labels
		_ = json.NewEncoder(w).Encode(info)
	})
	sock := filepath.Join(t.TempDir(), "crio.sock")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return sock
}

// CRI-O is not packaged in Debian 12, so the contract runs against a fake of its documented answer.
func TestInspector_contract_crio_fake(t *testing.T) {
	sock := fakeCRIO(t)
	in := New(Config{Socket: sock})
	inspectortest.Run(t, inspectortest.Fixture{
		Inspector: in,
		Known: domain.ContainerInfo{ID: containerID, Name: "nginx", Image: "docker.io/library/nginx:1.27", Runtime: "crio",
			ImageDigest: "sha256:3ed6b02b765656d859b923314fea5c477e710db55338285466c32079b5201cef",
			Pod:         domain.PodInfo{Name: "web-1", Namespace: "shop", UID: "5e1d2c3b-4a59-4687-b7c8-d9e0f1a2b3c4"}},
		Unreachable: New(Config{Socket: filepath.Join(t.TempDir(), "none.sock")}),
	})
	t.Run("the pod's sandbox is marked as such", func(t *testing.T) {
		got, err := in.Inspect(t.Context(), sandboxID)
		require.NoError(t, err)
		assert.True(t, got.Pod.Sandbox)
		assert.Equal(t, "k8s_POD_web-1_shop_5e1d2c3b_0", got.Name)
		assert.Equal(t, "sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c", got.ImageDigest)
	})
}
