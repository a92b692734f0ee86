package domain

import (
	"encoding/json"
	"sync"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DefaultMaxContainers bounds the containers data source.
const DefaultMaxContainers = 4096

// Containers is Tracee's "tracee"/"containers" data source: key a container ID (string), answer
// the container's and its pod's fields under Tracee's names. It learns containers from the
// container fields of the events that flow through the engine and from container_create and
// existing_container (the only ones that carry the creation time).
type Containers struct {
	mu   sync.RWMutex
	byID *boundedMap[string, *containerInfo]
}

type containerInfo struct {
	name, image string
	ctime       int
	pod         trace.Kubernetes
}

// NewContainers returns an empty data source holding at most max containers; max <= 0 means
// DefaultMaxContainers.
func NewContainers(max int) *Containers {
	if max <= 0 {
		max = DefaultMaxContainers
	}
	return &Containers{byID: newBoundedMap[string, *containerInfo](max)}
}

// Observe records the container of ev, if any.
func (c *Containers) Observe(ev *trace.Event) {
	id := ev.Container.ID
	isContainerEvent := ev.EventName == "container_create" || ev.EventName == "existing_container"
	if isContainerEvent {
		if s := argString(ev, "container_id"); s != "" {
			id = s
		}
	}
	if id == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	info := c.byID.upsert(id, func() *containerInfo { return &containerInfo{} })
	if id == ev.Container.ID {
		setIfEmpty(&info.name, ev.Container.Name)
		setIfEmpty(&info.image, ev.Container.ImageName)
		if ev.Kubernetes.PodUID != "" {
			info.pod = ev.Kubernetes
		}
	}
	if isContainerEvent {
		setIfEmpty(&info.name, argString(ev, "container_name"))
		setIfEmpty(&info.image, argString(ev, "container_image"))
		if ct := argNum(ev, "ctime"); ct != 0 {
			info.ctime = ct
		}
		if uid := argString(ev, "pod_uid"); uid != "" {
			sandbox := false
			if a := Arg(ev, "pod_sandbox"); a != nil {
				sandbox, _ = a.Value.(bool)
			}
			info.pod = trace.Kubernetes{PodName: argString(ev, "pod_name"), PodNamespace: argString(ev, "pod_namespace"),
				PodUID: uid, PodSandbox: sandbox}
		}
	}
}

func setIfEmpty(dst *string, v string) {
	if *dst == "" && v != "" {
		*dst = v
	}
}

// Get implements detect.DataSource: key is a container ID.
func (c *Containers) Get(key interface{}) (map[string]interface{}, error) {
	id, ok := key.(string)
	if !ok {
		return nil, detect.ErrKeyNotSupported
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	info, ok := c.byID.get(id)
	if !ok {
		return nil, detect.ErrDataNotFound
	}
	return map[string]interface{}{
		"container_id":      id,
		"container_ctime":   info.ctime,
		"container_name":    info.name,
		"container_image":   info.image,
		"k8s_pod_id":        info.pod.PodUID,
		"k8s_pod_name":      info.pod.PodName,
		"k8s_pod_namespace": info.pod.PodNamespace,
		"k8s_pod_sandbox":   info.pod.PodSandbox,
	}, nil
}

// Keys implements detect.DataSource.
func (c *Containers) Keys() []string { return []string{"string"} }

// Schema implements detect.DataSource, with Tracee's wording.
func (c *Containers) Schema() string {
	b, _ := json.Marshal(map[string]string{
		"container_id": "string", "container_ctime": "int", "container_name": "string", "container_image": "string",
		"k8s_pod_id": "string", "k8s_pod_name": "string", "k8s_pod_namespace": "string", "k8s_pod_sandbox": "bool",
	})
	return string(b)
}

// Version implements detect.DataSource.
func (c *Containers) Version() uint { return 1 }

// Namespace implements detect.DataSource.
func (c *Containers) Namespace() string { return "tracee" }

// ID implements detect.DataSource.
func (c *Containers) ID() string { return "containers" }
