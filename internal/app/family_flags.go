package app

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// pageSize is the kernel page size --buffers counts in.
const pageSize = 4096

// Tuning is what --buffers, --stores, --enrichment, --capabilities, --artifacts and --detectors
// set, after checking each value against what this agent can do.
type Tuning struct {
	RingBufferBytes int // kernel.events, in bytes (a power of two); 0 keeps the default
	OutputQueue     int // pipeline: events buffered per output; 0 keeps the default
	MaxProcesses    int // process.max-processes for the process tree data source; 0 keeps the default
	// Containers is --enrichment container[.RUNTIME.socket=PATH]: names, images and pods from the runtimes.
	Containers ContainerEnrichment
	// Notes say what was accepted with a difference (rounding, a no-op), one line each.
	Notes []string
}

// ParseTuning reads those flags' values as Tracee's pages define them. A value this agent cannot
// honour is refused with the reason; one it honours differently gives a note.
func ParseTuning(buffers, stores, enrichment, capabilities, artifacts, detectors []string) (Tuning, error) {
	var t Tuning
	for _, v := range buffers {
		key, val, _ := strings.Cut(v, "=")
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			return t, fmt.Errorf("--buffers %q: %s takes a positive whole number", v, key)
		}
		switch key {
		case "kernel.events":
			bytes := n * pageSize
			rounded := 1 << bits.Len(uint(bytes-1))
			if rounded != bytes {
				t.Notes = append(t.Notes, fmt.Sprintf("--buffers kernel.events=%d: %d pages rounded up to %d (one ring buffer of %d KiB, a power of two)",
					n, n, rounded/pageSize, rounded>>10))
			}
			t.RingBufferBytes = rounded
		case "pipeline":
			t.OutputQueue = n
		case "kernel.artifacts", "kernel.control-plane":
			t.Notes = append(t.Notes, fmt.Sprintf("--buffers %s: this agent has no such buffer (no artifact capture, no control-plane ring); ignored", key))
		default:
			return t, fmt.Errorf("--buffers %q: unknown option; options are kernel.events=PAGES, pipeline=N (kernel.artifacts and kernel.control-plane are accepted and ignored)", v)
		}
	}
	for _, v := range stores {
		key, val, _ := strings.Cut(v, "=")
		switch key {
		case "process":
		case "process.max-processes":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return t, fmt.Errorf("--stores %q: takes a positive whole number", v)
			}
			t.MaxProcesses = n
		case "process.max-threads":
			t.Notes = append(t.Notes, "--stores process.max-threads: threads share their process's entry in this agent's tree; ignored")
		case "dns", "dns.max-entries":
			return t, fmt.Errorf("--stores %s: not supported: the DNS cache feeds on packet events (net_packet_dns), which need packet capture, not built into this agent", key)
		default:
			return t, fmt.Errorf("--stores %q: unknown option; options are process, process.max-processes=N, process.max-threads=N, dns, dns.max-entries=N", v)
		}
	}
	for _, v := range enrichment {
		key, val, _ := strings.Cut(v, "=")
		if rt, ok := strings.CutSuffix(key, "-socket"); ok && strings.HasPrefix(rt, "container.") {
			key = rt + ".socket" // the config file's spelling: enrichment.container.docker-socket
		}
		switch {
		case key == "container", key == "container.enabled" && val != "false":
			t.Containers.Enabled = true
		case key == "container.enabled":
		case key == "container.cgroupfs.path" || key == "container.cgroupfs.force":
			t.Containers.Enabled = true
			t.Notes = append(t.Notes, fmt.Sprintf("--enrichment %s: container IDs always come from each task's /proc/PID/cgroup here; the cgroupfs mount is not read", key))
		case strings.HasPrefix(key, "container.") && strings.HasSuffix(key, ".socket"):
			runtime := strings.TrimSuffix(strings.TrimPrefix(key, "container."), ".socket")
			if !slices.Contains(ContainerRuntimes, runtime) {
				return t, fmt.Errorf("--enrichment %s: unknown container runtime %q; runtimes are %s", key, runtime, strings.Join(ContainerRuntimes, ", "))
			}
			if val == "" {
				return t, fmt.Errorf("--enrichment %s: needs the socket's path, e.g. %s=%s", key, key, DefaultRuntimeSockets[runtime])
			}
			t.Containers.Enabled = true // as Tracee: setting a socket switches container enrichment on
			if t.Containers.Sockets == nil {
				t.Containers.Sockets = map[string]string{}
			}
			t.Containers.Sockets[runtime] = val
		case key == "environment":
			t.Notes = append(t.Notes, "--enrichment environment: sched_process_exec always carries env here; nothing to switch on")
		case key == "fd-paths", key == "executable-hash", strings.HasPrefix(key, "executable-hash."), key == "decoded-data":
			key, _, _ = strings.Cut(key, ".")
			return t, fmt.Errorf("--enrichment %s: not supported: %s", key, map[string]string{
				"fd-paths":        "file descriptors are not resolved to paths in userspace (security_file_open carries the path)",
				"executable-hash": "executables are not hashed (sched_process_exec carries dev, inode and ctime)",
				"decoded-data":    "arguments are printed as Tracee's JSON decoder reads them, never decoded to names",
			}[key])
		default:
			return t, fmt.Errorf("--enrichment %q: unknown option; see 'tracee man enrichment'", v)
		}
	}
	for _, v := range capabilities {
		switch v {
		case "bypass=true":
			t.Notes = append(t.Notes, "--capabilities bypass=true: this agent never drops capabilities; nothing to bypass")
		default:
			return t, fmt.Errorf("--capabilities %q: not supported: this agent does not manage its capabilities; run it with the ones it needs "+
				"(CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH; see the systemd unit)", v)
		}
	}
	if len(artifacts) > 0 {
		return t, fmt.Errorf("--artifacts %s: artifact capture (files, executables, memory, network) is not built into this agent", artifacts[0])
	}
	if len(detectors) > 0 {
		return t, fmt.Errorf("--detectors %s: YAML detectors (CEL) are not supported; write signatures (Go plugins or Rego) for --signatures-dir", detectors[0])
	}
	return t, nil
}
