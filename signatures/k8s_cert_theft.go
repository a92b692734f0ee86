package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

const k8sPKIDir = "/etc/kubernetes/pki/"

// K8sCertTheft (TRC-1018) reports reads of the cluster's certificates and keys under
// /etc/kubernetes/pki by anything but the control-plane components, and renames out of that folder.
type K8sCertTheft struct{ base }

// NewK8sCertTheft returns the TRC-1018 signature.
func NewK8sCertTheft() *K8sCertTheft {
	return &K8sCertTheft{newBase("TRC-1018", "k8s_cert_theft", "K8s TLS certificate theft detected",
		"A process that is not part of the Kubernetes control plane read or moved a certificate or key in /etc/kubernetes/pki; whoever has them can impersonate cluster components.",
		mitre{3, "credential-access", "Private Keys", "T1552.004"}, "security_file_open", "security_inode_rename").opens(domain.OpenInterest{Dirs: []string{"pki", "etcd"}})}
}

func (s *K8sCertTheft) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	var p string
	switch ev.EventName {
	case "security_file_open":
		p, _ = readPath(ev)
	case "security_inode_rename":
		p, _ = stringArg(ev, "old_path")
	}
	if !underDir(p, k8sPKIDir) {
		return nil
	}
	if trustedExe(ev, isK8sControlPlane) {
		return nil
	}
	s.report(event, map[string]interface{}{"pathname": p})
	return nil
}

var isK8sControlPlane = nameIn("kube-apiserver", "kubelet", "kube-controller", "kube-controller-manager", "kube-scheduler", "etcd", "kubeadm")
