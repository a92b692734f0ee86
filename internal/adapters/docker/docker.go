// Package docker asks Docker's Engine API, or Podman's Docker-compatible API, on a unix socket
// who a container is (GET /containers/ID/json).
package docker

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

// Default sockets, as Tracee's defaults.
const (
	DefaultDockerSocket = "/var/run/docker.sock"
	DefaultPodmanSocket = "/var/run/podman/podman.sock"
)

// sandboxLabel marks a pod's sandbox container under cri-dockerd (dockershim).
const sandboxLabel = "io.kubernetes.docker.type"

// Config says where the API listens and which runtime answers there.
type Config struct {
	Socket  string // unix socket path
	Runtime string // "docker" or "podman": what ContainerInfo.Runtime says
}

// Inspector is a client of the Engine API's container inspection.
type Inspector struct {
	cfg    Config
	client *http.Client
}

// New returns a client; nothing is dialled until the first lookup.
func New(cfg Config) *Inspector {
	if cfg.Runtime == "" {
		cfg.Runtime = "docker"
	}
	if cfg.Socket == "" {
		cfg.Socket = DefaultDockerSocket
		if cfg.Runtime == "podman" {
			cfg.Socket = DefaultPodmanSocket
		}
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", cfg.Socket)
	}, MaxIdleConns: 2}
	return &Inspector{cfg: cfg, client: &http.Client{Transport: tr}}
}

// inspectResponse is the part of GET /containers/ID/json read here.
type inspectResponse struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`  // "/web"
	Image  string `json:"Image"` // the image ID, sha256:...
	Config struct {
		Image  string            `json:"Image"` // as given to run: busybox:1.36
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// Inspect answers the container's name, image (as it was run), the image's repository digest (the
// image ID when it has none: a local build) and, from cri-dockerd's labels, its pod.
func (in *Inspector) Inspect(ctx context.Context, id string) (domain.ContainerInfo, error) {
	var r inspectResponse
	if err := in.get(ctx, "/containers/"+url.PathEscape(id)+"/json", &r); err != nil {
		return domain.ContainerInfo{}, err
	}
	labels := r.Config.Labels
	name := strings.TrimPrefix(r.Name, "/")
	if k8s := labels[domain.LabelContainerName]; k8s != "" {
		name = k8s
	}
	digest := in.repoDigest(ctx, r.Image)
	return domain.ContainerInfo{ID: id, Name: name, Image: r.Config.Image, ImageDigest: digest, Runtime: in.cfg.Runtime,
		Labels: labels, Pod: domain.PodFromLabels(labels, labels[sandboxLabel] == "podsandbox")}, nil
}

// imageResponse is the part of GET /images/ID/json read here.
type imageResponse struct {
	RepoDigests []string `json:"RepoDigests"` // repo@sha256:...
}

// repoDigest is the image's manifest digest (what a registry and containerd call the image's
// digest) when the image came from or went to a registry, else its ID.
func (in *Inspector) repoDigest(ctx context.Context, imageID string) string {
	if imageID == "" {
		return ""
	}
	var r imageResponse
	if err := in.get(ctx, "/images/"+url.PathEscape(imageID)+"/json", &r); err == nil {
		for _, rd := range r.RepoDigests {
			if _, d, ok := strings.Cut(rd, "@"); ok {
				return d
			}
		}
	}
	if !strings.Contains(imageID, ":") {
		return "sha256:" + imageID
	}
	return imageID
}

// get decodes the JSON answer of GET path; 404 is domain.ErrContainerNotFound.
func (in *Inspector) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.cfg.Runtime+path, nil)
	if err != nil {
		return err
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s at %s: %w", in.cfg.Runtime, in.cfg.Socket, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%s: GET %s: %w", in.cfg.Runtime, path, domain.ErrContainerNotFound)
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s at %s: GET %s: %s: %s", in.cfg.Runtime, in.cfg.Socket, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(into); err != nil {
		return fmt.Errorf("%s at %s: GET %s: %w", in.cfg.Runtime, in.cfg.Socket, path, err)
	}
	return nil
}
