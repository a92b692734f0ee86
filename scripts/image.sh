#!/usr/bin/env bash
# Builds the agent's container image without a registry: `buildah from scratch`, a root filesystem
# of Debian's libc6 (the only shared library the cgo binary and its plugins link) and the built
# files, committed and written as an OCI archive, dist/tracee-image.oci.tar (image
# localhost/tracee:VERSION). Needs root, buildah and apt-get download (the machine's Debian
# sources). The registry-based multi-stage build for users is packaging/container/Containerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
IMAGE=${IMAGE:-localhost/tracee:$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
for f in "$DIST/tracee" "$DIST/signatures/builtin.so"; do
	[ -f "$f" ] || { echo "image: $f is missing: run make build first" >&2; exit 1; }
done
command -v buildah >/dev/null || { echo "image: needs buildah (apt-get install -y buildah)" >&2; exit 1; }
work=$(mktemp -d)
chmod 0755 "$work" # apt-get download runs as _apt
ctr=""
cleanup() {
	[ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
root="$work/rootfs"
mkdir -p "$root"
# Debian's packages, unpacked (not installed: no maintainer scripts run in the image)
# apt-get download needs the package lists: update them once if they are missing
(cd "$work" && { apt-get download -qq libc6 >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download -qq libc6 >/dev/null; }; })
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$root"; done
rm -rf "$root/usr/share/doc" "$root/usr/share/lintian" "$root/usr/share/locale"
install -D -m 0755 "$DIST/tracee" "$root/usr/bin/tracee"
install -d "$root/usr/lib/tracee/signatures" "$root/var/lib/tracee" "$root/tmp" "$root/proc" "$root/sys" \
	"$root/etc/tracee" "$root/run/secrets"
install -m 0644 "$DIST"/signatures/*.so "$root/usr/lib/tracee/signatures/"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

ctr=$(buildah from scratch)
buildah copy "$ctr" "$root" / >/dev/null
buildah config --entrypoint '["/usr/bin/tracee","--signatures-dir","/usr/lib/tracee/signatures"]' --cmd '' \
	--label org.opencontainers.image.title=tracee \
	--label org.opencontainers.image.description="eBPF runtime security agent compatible with Aqua's Tracee" \
	--label org.opencontainers.image.version="${IMAGE##*:}" "$ctr"
buildah commit -q "$ctr" "$IMAGE" >/dev/null
out="$DIST/tracee-image.oci.tar"
rm -f "$out"
buildah push -q "$IMAGE" "oci-archive:$out:$IMAGE" >/dev/null
buildah rmi "$IMAGE" >/dev/null 2>&1 || true
echo "$out $IMAGE"
