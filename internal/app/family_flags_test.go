package app

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTuning(t *testing.T) {
	tu, err := ParseTuning([]string{"kernel.events=3000", "pipeline=1000", "kernel.artifacts=1024"}, []string{"process", "process.max-processes=5000"},
		[]string{"container", "container.cgroupfs.path=/sys/fs/cgroup", "environment"}, []string{"bypass=true"}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 4096*4096, tu.RingBufferBytes, "3000 pages round up to 4096")
	assert.Equal(t, 1000, tu.OutputQueue)
	assert.Equal(t, 5000, tu.MaxProcesses)
	assert.Contains(t, strings.Join(tu.Notes, "\n"), "rounded up to 4096")

	assert.Equal(t, ContainerEnrichment{Enabled: true}, tu.Containers)

	tu, err = ParseTuning(nil, nil, []string{"container.containerd.socket=/run/k3s/containerd/containerd.sock", "container.crio.socket=/run/crio.sock"}, nil, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, ContainerEnrichment{Enabled: true, Sockets: map[string]string{"containerd": "/run/k3s/containerd/containerd.sock", "crio": "/run/crio.sock"}},
		tu.Containers, "a socket switches enrichment on, as Tracee")

	tu, err = ParseTuning(nil, nil, []string{"container.enabled=true", "container.podman-socket=/run/podman/podman.sock"}, nil, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, ContainerEnrichment{Enabled: true, Sockets: map[string]string{"podman": "/run/podman/podman.sock"}},
		tu.Containers, "the config file's keys (enrichment.container.enabled, podman-socket)")

	tu, err = ParseTuning([]string{"kernel.events=1024"}, nil, nil, nil, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 4<<20, tu.RingBufferBytes)
	assert.Empty(t, tu.Notes, "a power of two is not rounded")

	refused := []struct {
		buffers, stores, enrichment, capabilities, artifacts, detectors []string
		want                                                            string
	}{
		{buffers: []string{"kernel.events=x"}, want: "positive whole number"},
		{buffers: []string{"ring=1"}, want: "unknown option"},
		{stores: []string{"dns"}, want: "packet capture"},
		{enrichment: []string{"container.rkt.socket=/run/rkt.sock"}, want: "unknown container runtime"},
		{enrichment: []string{"container.docker.socket="}, want: "needs the socket's path"},
		{enrichment: []string{"executable-hash"}, want: "not hashed"},
		{capabilities: []string{"drop=cap_sys_admin"}, want: "does not manage its capabilities"},
		{artifacts: []string{"file-write"}, want: "artifact capture"},
		{detectors: []string{"/etc/tracee/detectors"}, want: "YAML detectors"},
	}
	for _, r := range refused {
		_, err := ParseTuning(r.buffers, r.stores, r.enrichment, r.capabilities, r.artifacts, r.detectors)
		if err == nil || !strings.Contains(err.Error(), r.want) {
			t.Errorf("got %v, want %q", err, r.want)
		}
	}
}
