# Kubernetes packaging: helm (built as a Go tool from packaging/tools/go.mod, the Go module proxy)
# to render deploy/helm/tracee, and kubernetes-validate (PyPI; schemas bundled) to validate it.
# Exports HELM, KUBERNETES_VALIDATE (packaging/helm_test.go).
mkdir -p dist/tools
go -C packaging/tools build -o ../../dist/tools/helm helm.sh/helm/v3/cmd/helm
HELM=$PWD/dist/tools/helm
if ! command -v kubernetes-validate >/dev/null; then
	python3 -m pip install -q kubernetes-validate==1.37.0 >/dev/null 2>&1 || pip3 install -q kubernetes-validate==1.37.0 >/dev/null
fi
KUBERNETES_VALIDATE=$(command -v kubernetes-validate)
export HELM KUBERNETES_VALIDATE
echo "60-k8s: $("$HELM" version --short 2>/dev/null), $KUBERNETES_VALIDATE"
