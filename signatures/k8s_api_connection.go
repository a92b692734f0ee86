package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// maxTrackedContainers bounds the API-server address table.
const maxTrackedContainers = 4096

// K8sAPIConnection (TRC-1013) reports a container connecting to the Kubernetes API server. The
// server's address is learnt from KUBERNETES_SERVICE_HOST in the environment of the container's
// processes.
type K8sAPIConnection struct {
	base
	apiHost map[string]string // container ID -> API server IP
}

// NewK8sAPIConnection returns the TRC-1013 signature.
func NewK8sAPIConnection() *K8sAPIConnection {
	return &K8sAPIConnection{base: newBase("TRC-1013", "k8s_api_connection", "Kubernetes API server connection detected",
		"A process in a container connected to the Kubernetes API server; ordinary workloads rarely need to, attackers do it to explore and take over the cluster.",
		mitre{0, "discovery", "Cloud Service Discovery", "T1526"}, "sched_process_exec", "security_socket_connect"),
		apiHost: map[string]string{}}
}

func (s *K8sAPIConnection) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	id := ev.Container.ID
	if id == "" {
		return nil
	}
	switch ev.EventName {
	case "sched_process_exec":
		env, _ := stringsArg(ev, "env")
		for _, kv := range env {
			if host, ok := strings.CutPrefix(kv, "KUBERNETES_SERVICE_HOST="); ok && host != "" {
				if s.apiHost[id] != host {
					if len(s.apiHost) >= maxTrackedContainers {
						clear(s.apiHost)
					}
					s.apiHost[id] = host
				}
				break
			}
		}
	case "security_socket_connect":
		host, known := s.apiHost[id]
		if !known {
			return nil
		}
		addr, _ := ev.GetRawAddrArgumentByName("remote_addr")
		if ip, port, inet := inetAddr(addr); inet && ip == host {
			s.report(event, map[string]interface{}{"ip": ip, "port": port})
		}
	}
	return nil
}
