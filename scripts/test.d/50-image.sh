# Container image: builds it without a registry (make image -> scripts/image.sh, buildah) and starts
# a private containerd (own root, state and socket under a temp dir) for packaging/image_test.go,
# which imports the image and runs the agent from it. Stopped on exit.
# It also builds a busybox test image (scripts/busybox-image.sh) for the container-attribution
# tests of internal/adapters/ebpf and signatures/e2e, which run short processes in containers.
# Exports TRACEE_IMAGE_ARCHIVE, TRACEE_IMAGE, TRACEE_BUSYBOX_ARCHIVE, TRACEE_BUSYBOX_IMAGE,
# CONTAINERD_ADDRESS.
# Set TRACEE_SKIP_IMAGE=1 to skip (the image test then skips with a reason).
if [ "${TRACEE_SKIP_IMAGE:-}" != 1 ]; then
	if ! command -v buildah >/dev/null || ! command -v containerd >/dev/null || ! command -v runc >/dev/null ||
		! dpkg -s busybox-static >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah containerd runc busybox-static >/dev/null
	fi
	read -r TRACEE_IMAGE_ARCHIVE TRACEE_IMAGE < <(bash scripts/image.sh)
	TRACEE_IMAGE_ARCHIVE=$PWD/$TRACEE_IMAGE_ARCHIVE
	read -r TRACEE_BUSYBOX_ARCHIVE TRACEE_BUSYBOX_IMAGE < <(bash scripts/busybox-image.sh)
	TRACEE_BUSYBOX_ARCHIVE=$PWD/$TRACEE_BUSYBOX_ARCHIVE
	_ctrd=$(mktemp -d /tmp/tracee-containerd.XXXXXX)
	containerd --root "$_ctrd/root" --state "$_ctrd/state" --address "$_ctrd/containerd.sock" \
		--config /dev/null >"$_ctrd/log" 2>&1 &
	_ctrd_pid=$!
	# on exit: tasks a failed test left, then containerd, then its directories
	on_exit "for _t in \$(ctr --address $_ctrd/containerd.sock task ls -q 2>/dev/null); do ctr --address $_ctrd/containerd.sock task delete --force \$_t; done; kill $_ctrd_pid; wait $_ctrd_pid 2>/dev/null; grep -o '$_ctrd[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount 2>/dev/null; rm -rf $_ctrd"
	for _i in $(seq 1 50); do
		ctr --address "$_ctrd/containerd.sock" version >/dev/null 2>&1 && break
		sleep 0.2
	done
	CONTAINERD_ADDRESS=$_ctrd/containerd.sock
	export TRACEE_IMAGE_ARCHIVE TRACEE_IMAGE TRACEE_BUSYBOX_ARCHIVE TRACEE_BUSYBOX_IMAGE CONTAINERD_ADDRESS
	echo "50-image: $TRACEE_IMAGE ($TRACEE_IMAGE_ARCHIVE), containerd at $CONTAINERD_ADDRESS"
	unset _ctrd _ctrd_pid _i
fi
