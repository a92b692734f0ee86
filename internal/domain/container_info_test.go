package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestSplitImage(t *testing.T) {
	tests := []struct{ ref, name, tag string }{
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx", "1.27"},
		{"nginx", "nginx", ""},
		{"localhost:5000/app", "localhost:5000/app", ""},
		{"localhost:5000/app:v2", "localhost:5000/app", "v2"},
		{"nginx@sha256:3ed6", "nginx", ""},
		{"nginx:1.27@sha256:3ed6", "nginx", "1.27"},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			name, tag := SplitImage(tt.ref)
			assert.Equal(t, tt.name, name)
			assert.Equal(t, tt.tag, tag)
		})
	}
}

func TestSplitPod(t *testing.T) {
	tests := []struct{ in, ns, name string }{{"web-1", "", "web-1"}, {"shop/web-1", "shop", "web-1"}}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ns, name := SplitPod(tt.in)
			assert.Equal(t, tt.ns, ns)
			assert.Equal(t, tt.name, name)
		})
	}
}

func TestContainerInfo_Apply_fills_Tracee_fields(t *testing.T) {
	labels := map[string]string{LabelPodName: "web-1", LabelPodNamespace: "shop", LabelPodUID: "uid-1", LabelContainerName: "nginx"}
	info := ContainerInfo{ID: "c0ffee", Name: "nginx", Image: "nginx:1.27", ImageDigest: "sha256:3ed6", Runtime: "crio",
		Labels: labels, Pod: PodFromLabels(labels, true)}
	ev := trace.Event{ContainerID: "c0ffee", Container: trace.Container{ID: "c0ffee"}}
	info.Apply(&ev)
	assert.Equal(t, trace.Container{ID: "c0ffee", Name: "nginx", ImageName: "nginx:1.27", ImageDigest: "sha256:3ed6"}, ev.Container)
	assert.Equal(t, trace.Kubernetes{PodName: "web-1", PodNamespace: "shop", PodUID: "uid-1", PodSandbox: true}, ev.Kubernetes)
}
