# Packaging: the .deb the packaging tests install and remove (packaging/deb_test.go), and
# systemd-analyze for their unit checks (Debian's systemd package; PID 1 need not be systemd).
# Exports TRACEE_DEB.
if ! command -v systemd-analyze >/dev/null || ! command -v perl >/dev/null; then
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd perl >/dev/null
fi
TRACEE_DEB=$PWD/$(bash scripts/deb.sh)
export TRACEE_DEB
echo "40-packaging: $TRACEE_DEB"
