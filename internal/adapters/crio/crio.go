// Package crio asks CRI-O's inspect endpoint (GET /containers/ID on crio.sock, JSON) who a container is.
package crio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// DefaultSocket is CRI-O's socket, as Tracee's default.
const DefaultSocket = "/var/run/crio/crio.sock"

// Config says where CRI-O listens.
type Config struct {
	Socket string // unix socket path; empty: DefaultSocket
}

// Inspector is a client of CRI-O's inspect endpoint.
type Inspector struct {
	socket string
	client *http.Client
}

// New returns a client; nothing is dialled until the first lookup.
func New(cfg Config) *Inspector {
	if cfg.Socket == "" {
		cfg.Socket = DefaultSocket
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", cfg.Socket)
	}, MaxIdleConns: 2}
	return &Inspector{socket: cfg.Socket, client: &http.Client{Transport: tr}}
}

// containerInfo is the part of CRI-O's answer read here (its pkg/types.ContainerInfo).
type containerInfo struct {
	Name     string            `json:"name"`
	Image    string            `json:"image"`
	ImageRef string            `json:"image_ref"`
	Labels   map[string]string `json:"labels"`
	Sandbox  string            `json:"sandbox"` // the pod's sandbox container ID
}

// Inspect answers the container's Kubernetes name (CRI-O's own name is k8s_...), image, image
// digest (from image_ref) and pod; the container is the sandbox when it is its pod's sandbox.
func (in *Inspector) Inspect(ctx context.Context, id string) (domain.ContainerInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://crio/containers/"+url.PathEscape(id), nil)
	if err != nil {
		return domain.ContainerInfo{}, err
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return domain.ContainerInfo{}, fmt.Errorf("crio at %s: %w", in.socket, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return domain.ContainerInfo{}, fmt.Errorf("crio: container %s: %w", id, domain.ErrContainerNotFound)
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return domain.ContainerInfo{}, fmt.Errorf("crio at %s: GET /containers/%s: %s: %s", in.socket, id, resp.Status, strings.TrimSpace(string(b)))
	}
	var r containerInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&r); err != nil {
		return domain.ContainerInfo{}, fmt.Errorf("crio at %s: container %s: %w", in.socket, id, err)
	}
	name := r.Name
	if k8s := r.Labels[domain.LabelContainerName]; k8s != "" {
		name = k8s
	}
	return domain.ContainerInfo{ID: id, Name: name, Image: r.Image, ImageDigest: digestOf(r.ImageRef), Runtime: "crio",
		Labels: r.Labels, Pod: domain.PodFromLabels(r.Labels, r.Sandbox == id)}, nil
}

// digestOf reads the digest from an image reference: repo@sha256:..., sha256:..., or a bare image ID.
func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	if strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	if len(ref) == 64 {
		return "sha256:" + ref
	}
	return ""
}
