package ports

import (
	"context"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// ContainerInspector asks one container runtime (containerd, Docker, Podman, CRI-O) who a
// container is, by the ID found in its cgroup path.
type ContainerInspector interface {
	// Inspect answers the container's identity; an error wraps domain.ErrContainerNotFound when the
	// runtime does not know the ID, anything else means the runtime could not be asked.
	Inspect(ctx context.Context, id string) (domain.ContainerInfo, error)
}
