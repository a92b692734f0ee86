// Package containerd asks containerd's gRPC API (its published api module) who a container is.
package containerd

import (
	"context"
	"fmt"
	"slices"

	containers "github.com/containerd/containerd/api/services/containers/v1"
	images "github.com/containerd/containerd/api/services/images/v1"
	namespaces "github.com/containerd/containerd/api/services/namespaces/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// DefaultSocket is containerd's socket, as Tracee's default.
const DefaultSocket = "/var/run/containerd/containerd.sock"

// namespaceHeader is the gRPC metadata key containerd reads the namespace from.
const namespaceHeader = "containerd-namespace"

// sandboxLabel marks a pod's sandbox container in containerd's CRI plugin.
const sandboxLabel = "io.cri-containerd.kind"

// preferred are asked first: Kubernetes' (k8s.io), ctr's (default) and Docker's (moby).
var preferred = []string{"k8s.io", "default", "moby"}

// Config says where containerd listens.
type Config struct {
	Socket string // unix socket path; empty: DefaultSocket
}

// Inspector looks containers up in every containerd namespace.
type Inspector struct {
	conn       *grpc.ClientConn
	containers containers.ContainersClient
	images     images.ImagesClient
	namespaces namespaces.NamespacesClient
}

// New prepares a client; nothing is dialled until the first lookup.
func New(cfg Config) (*Inspector, error) {
	if cfg.Socket == "" {
		cfg.Socket = DefaultSocket
	}
	conn, err := grpc.NewClient("unix://"+cfg.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("containerd client for %s: %w", cfg.Socket, err)
	}
	return &Inspector{conn: conn, containers: containers.NewContainersClient(conn),
		images: images.NewImagesClient(conn), namespaces: namespaces.NewNamespacesClient(conn)}, nil
}

// Close releases the connection.
func (in *Inspector) Close() error { return in.conn.Close() }

// Inspect finds id in containerd's namespaces (k8s.io, default, moby, then the others). The name
// is the io.kubernetes.container.name label, as Tracee does: containerd has no container names.
func (in *Inspector) Inspect(ctx context.Context, id string) (domain.ContainerInfo, error) {
	nss, err := in.namespaceOrder(ctx)
	if err != nil {
		return domain.ContainerInfo{}, err
	}
	for _, ns := range nss {
		nctx := metadata.AppendToOutgoingContext(ctx, namespaceHeader, ns)
		resp, err := in.containers.Get(nctx, &containers.GetContainerRequest{ID: id})
		if status.Code(err) == codes.NotFound {
			continue
		}
		if err != nil {
			return domain.ContainerInfo{}, fmt.Errorf("containerd: get container %s in namespace %s: %w", id, ns, err)
		}
		c := resp.GetContainer()
		labels := c.GetLabels()
		info := domain.ContainerInfo{ID: id, Name: labels[domain.LabelContainerName], Image: c.GetImage(),
			Runtime: "containerd", Labels: labels, Pod: domain.PodFromLabels(labels, labels[sandboxLabel] == "sandbox")}
		if info.Image != "" {
			img, err := in.images.Get(nctx, &images.GetImageRequest{Name: info.Image})
			if err == nil {
				info.ImageDigest = img.GetImage().GetTarget().GetDigest()
			}
		}
		return info, nil
	}
	return domain.ContainerInfo{}, fmt.Errorf("containerd: %s in none of namespaces %v: %w", id, nss, domain.ErrContainerNotFound)
}

// namespaceOrder lists containerd's namespaces, the usual ones first.
func (in *Inspector) namespaceOrder(ctx context.Context) ([]string, error) {
	resp, err := in.namespaces.List(ctx, &namespaces.ListNamespacesRequest{})
	if err != nil {
		return nil, fmt.Errorf("containerd: list namespaces: %w", err)
	}
	var all []string
	for _, n := range resp.GetNamespaces() {
		all = append(all, n.GetName())
	}
	var out []string
	for _, p := range preferred {
		if slices.Contains(all, p) {
			out = append(out, p)
		}
	}
	for _, n := range all {
		if !slices.Contains(preferred, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
