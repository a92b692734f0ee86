package packaging

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const kubeVersion = "1.31.0"

// tool finds a program by the variable the test hook exports, else on PATH.
func tool(t *testing.T, env, name, hint string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("needs %s (%s; or set %s)", name, hint, env)
	}
	return p
}

func helmTemplate(t *testing.T, sets ...string) string {
	t.Helper()
	helm := tool(t, "HELM", "helm", "scripts/test.d/60-k8s.sh builds it from packaging/tools/go.mod")
	args := []string{"template", "tracee", "deploy/helm/tracee", "--namespace", "tracee", "--kube-version", kubeVersion}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(helm, args...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helm template: %s", out)
	return string(out)
}

// validate runs kubernetes-validate (its bundled schemas, strict: no unknown fields).
func validate(t *testing.T, manifest string) {
	t.Helper()
	kv := tool(t, "KUBERNETES_VALIDATE", "kubernetes-validate", "pip install kubernetes-validate")
	f := filepath.Join(t.TempDir(), "manifest.yaml")
	require.NoError(t, os.WriteFile(f, []byte(manifest), 0o644))
	out, err := exec.Command(kv, "--strict", "-k", kubeVersion, f).CombinedOutput()
	require.NoError(t, err, "kubernetes-validate: %s", out)
	assert.NotContains(t, string(out), "ERROR")
}

// objects decodes a multi-document manifest (YAML to JSON by Python's yaml, which
// kubernetes-validate brings) into kind -> object.
func objects(t *testing.T, manifest string) map[string]map[string]any {
	t.Helper()
	cmd := exec.Command("python3", "-c", "import sys,yaml,json; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)")
	cmd.Stdin = strings.NewReader(manifest)
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("needs python3 with yaml (pip install kubernetes-validate brings it): %v", err)
	}
	var docs []map[string]any
	require.NoError(t, json.Unmarshal(out, &docs))
	m := map[string]map[string]any{}
	for _, d := range docs {
		m[d["kind"].(string)] = d
	}
	return m
}

// at walks decoded JSON: keys for maps, "0" etc. for lists.
func at(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestHelm_default_chart_is_valid_and_least_privilege(t *testing.T) {
	m := helmTemplate(t)
	validate(t, m)
	objs := objects(t, m)
	ds := objs["DaemonSet"]
	require.NotNil(t, ds)
	pod := at(ds, "spec", "template", "spec")
	assert.Equal(t, true, at(pod, "hostPID"))
	assert.Nil(t, at(pod, "hostNetwork"), "no host network")
	assert.Equal(t, false, at(pod, "automountServiceAccountToken"))
	c := at(pod, "containers", "0")
	sc := at(c, "securityContext")
	assert.Equal(t, false, at(sc, "privileged"))
	assert.Equal(t, false, at(sc, "allowPrivilegeEscalation"))
	assert.Equal(t, true, at(sc, "readOnlyRootFilesystem"))
	assert.Equal(t, []any{"ALL"}, at(sc, "capabilities", "drop"))
	assert.Equal(t, []any{"BPF", "PERFMON"}, at(sc, "capabilities", "add"))
	assert.Equal(t, "/healthz", at(c, "readinessProbe", "httpGet", "path"))
	assert.Equal(t, float64(3366), at(c, "readinessProbe", "httpGet", "port"))
	vols := map[string]any{}
	for _, v := range at(pod, "volumes").([]any) {
		vols[at(v, "name").(string)] = v
	}
	assert.Equal(t, "/sys/kernel/btf", at(vols["btf"], "hostPath", "path"))
	assert.Equal(t, "/sys/kernel/tracing", at(vols["tracing"], "hostPath", "path"))
	assert.Equal(t, "tracee", at(vols["config"], "configMap", "name"))
	assert.Equal(t, "spec.nodeName", at(c, "env", "1", "valueFrom", "fieldRef", "fieldPath"), "TRACEE_HOST_NAME is the node")
	assert.NotContains(t, objs, "Secret")
}

func TestHelm_elasticsearch_credentials_come_from_a_0400_secret_never_argv(t *testing.T) {
	const password = "pw-Z9x8c7"
	m := helmTemplate(t, "output.elasticsearch.enabled=true", "output.elasticsearch.password="+password,
		"output.elasticsearch.caCrt=CERTDATA", "capabilities.sysResource=true", "capabilities.sysAdmin=true")
	validate(t, m)
	objs := objects(t, m)
	require.Contains(t, objs, "Secret")
	ds := objs["DaemonSet"]
	pod := at(ds, "spec", "template", "spec")
	c := at(pod, "containers", "0")
	args, _ := json.Marshal(at(c, "args"))
	assert.NotContains(t, string(args), password)
	assert.Contains(t, string(args), "password-file=/etc/tracee/secrets/password")
	assert.Contains(t, string(args), "ca=/etc/tracee/secrets/ca.crt")
	for _, v := range at(pod, "volumes").([]any) {
		if at(v, "name") == "es-secret" {
			assert.Equal(t, float64(0o400), at(v, "secret", "defaultMode"))
		}
	}
	assert.Equal(t, []any{"BPF", "PERFMON", "SYS_RESOURCE", "SYS_ADMIN"}, at(c, "securityContext", "capabilities", "add"))
	assert.NotContains(t, m, password, "the Secret holds it base64-encoded only")
}

func TestHelm_policies_go_in_the_configmap(t *testing.T) {
	m := helmTemplate(t, `policies.default\.yaml=kind: Policy`)
	validate(t, m)
	objs := objects(t, m)
	assert.Equal(t, "kind: Policy\n", at(objs["ConfigMap"], "data", "default.yaml"))
	args, _ := json.Marshal(at(objs["DaemonSet"], "spec", "template", "spec", "containers", "0", "args"))
	assert.Contains(t, string(args), "--policy=/etc/tracee/policies")
}

// deploy/kubernetes/tracee.yaml is the chart rendered with its defaults (make helm-template).
func TestKubernetesManifest_is_valid_and_matches_the_chart(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "deploy/kubernetes/tracee.yaml"))
	require.NoError(t, err)
	validate(t, string(b))
	ns, err := os.ReadFile(filepath.Join(repo, "deploy/kubernetes/namespace.yaml"))
	require.NoError(t, err)
	rendered := helmTemplate(t)
	_, body, ok := strings.Cut(string(b), string(ns))
	require.True(t, ok, "the manifest starts with deploy/kubernetes/namespace.yaml")
	assert.Equal(t, rendered, body, "deploy/kubernetes/tracee.yaml is stale: run make helm-template")
}
