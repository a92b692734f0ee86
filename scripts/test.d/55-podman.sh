# Podman's API service for the container enrichment contract (internal/adapters/docker): Debian's
# podman, `podman system service` on a private socket, stopped on exit. Exports PODMAN_SOCKET.
# Set TRACEE_SKIP_PODMAN=1 to skip (the test then skips with a reason).
if [ "${TRACEE_SKIP_PODMAN:-}" != 1 ]; then
	if ! command -v podman >/dev/null; then
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null
	fi
	_pdir=$(mktemp -d /tmp/tracee-podman.XXXXXX)
	podman system service --time=0 "unix://$_pdir/podman.sock" >"$_pdir/log" 2>&1 &
	_ppid=$!
	on_exit "kill $_ppid; wait $_ppid 2>/dev/null; rm -rf $_pdir"
	for _i in $(seq 1 50); do
		[ -S "$_pdir/podman.sock" ] && break
		sleep 0.2
	done
	PODMAN_SOCKET=$_pdir/podman.sock
	export PODMAN_SOCKET
	echo "55-podman: $(podman --version) at $PODMAN_SOCKET"
	unset _pdir _ppid _i
fi
