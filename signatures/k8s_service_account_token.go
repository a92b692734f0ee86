package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// K8sServiceAccountToken (TRC-108) reports a read of a Kubernetes service account token by a
// process that is not a Kubernetes component.
type K8sServiceAccountToken struct{ base }

// NewK8sServiceAccountToken returns the TRC-108 signature.
func NewK8sServiceAccountToken() *K8sServiceAccountToken {
	return &K8sServiceAccountToken{newBase("TRC-108", "k8s_service_account_token", "K8s service account token file read",
		"A process other than a Kubernetes component read a service account token; with it an attacker can talk to the Kubernetes API as the pod.",
		mitre{0, "credential-access", "Steal Application Access Token", "T1528"}, "security_file_open").opens(domain.OpenInterest{Names: []string{"token"}})}
}

func (s *K8sServiceAccountToken) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	p, ok := readPath(ev)
	if !ok || !strings.HasSuffix(p, "secrets/kubernetes.io/serviceaccount/token") {
		return nil
	}
	if trustedExe(ev, isK8sComponent) {
		return nil
	}
	s.report(event, map[string]interface{}{"pathname": p})
	return nil
}

var isK8sComponent = nameIn("flanneld", "kube-proxy", "etcd", "kube-apiserver", "coredns", "kube-controller", "kube-controller-manager", "kubectl", "kubelet")
