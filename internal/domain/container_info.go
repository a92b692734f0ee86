package domain

import (
	"errors"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ErrContainerNotFound is what a container runtime answers for an ID it does not know (yet, or any
// more): the caller may ask another runtime, or the same one again later.
var ErrContainerNotFound = errors.New("container not found")

// ContainerInfo is what a container runtime knows of one container. A container's identity never
// changes, so an answer is kept for the container's lifetime.
type ContainerInfo struct {
	ID          string
	Name        string // the runtime's name; containerd has none: the Kubernetes container name or empty
	Image       string // image reference as the container was created from (docker.io/library/busybox:1.36)
	ImageDigest string // sha256:... of the image (the manifest or index digest), when the runtime knows it
	Runtime     string // containerd, docker, podman, crio
	Labels      map[string]string
	Pod         PodInfo
}

// PodInfo is the Kubernetes pod a container belongs to (empty outside Kubernetes).
type PodInfo struct {
	Name, Namespace, UID string
	Sandbox              bool // the container is the pod's sandbox (pause) container
}

// Kubernetes label keys that every CRI runtime (containerd's CRI plugin, CRI-O, cri-dockerd) sets
// on a pod's containers.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// PodFromLabels reads a container's pod from its Kubernetes labels; sandbox says whether the
// runtime marked it as the pod's sandbox.
func PodFromLabels(labels map[string]string, sandbox bool) PodInfo {
	return PodInfo{Name: labels[LabelPodName], Namespace: labels[LabelPodNamespace], UID: labels[LabelPodUID], Sandbox: sandbox}
}

// Apply writes the container's identity into ev's container and kubernetes fields, as Tracee does.
func (c *ContainerInfo) Apply(ev *trace.Event) {
	ev.Container.Name = c.Name
	ev.Container.ImageName = c.Image
	ev.Container.ImageDigest = c.ImageDigest
	ev.Kubernetes = trace.Kubernetes{PodName: c.Pod.Name, PodNamespace: c.Pod.Namespace, PodUID: c.Pod.UID, PodSandbox: c.Pod.Sandbox}
}
