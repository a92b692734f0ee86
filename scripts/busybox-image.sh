#!/usr/bin/env bash
# Builds a tiny test image without a registry: `buildah from scratch` with Debian's busybox-static
# and an /etc/shadow to read, written as an OCI archive (image localhost/tracee-test-busybox:1).
# Prints "ARCHIVE IMAGE". Tests run short container processes from it (scripts/test.d/50-image.sh).
# Needs root, buildah and busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
IMAGE=localhost/tracee-test-busybox:1
for bin in buildah busybox; do
	command -v "$bin" >/dev/null || { echo "busybox-image: needs $bin (apt-get install -y buildah busybox-static)" >&2; exit 1; }
done
bb=$(command -v busybox)
case $(ldd "$bb" 2>&1 || true) in *"not a dynamic"*) ;; *) echo "busybox-image: $bb is not static (apt-get install -y busybox-static)" >&2; exit 1 ;; esac
work=$(mktemp -d)
ctr=""
cleanup() {
	[ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
root="$work/rootfs"
install -D -m 0755 "$bb" "$root/bin/busybox"
for applet in sh cat true sleep truncate ls; do ln -s busybox "$root/bin/$applet"; done
install -d "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 0640 "$root/etc/shadow"
ctr=$(buildah from scratch)
buildah copy "$ctr" "$root" / >/dev/null
buildah config --cmd '/bin/sh' "$ctr"
buildah commit -q "$ctr" "$IMAGE" >/dev/null
mkdir -p "$DIST"
out="$DIST/tracee-test-busybox.oci.tar"
rm -f "$out"
buildah push -q "$IMAGE" "oci-archive:$out:$IMAGE" >/dev/null
buildah rmi "$IMAGE" >/dev/null 2>&1 || true
echo "$out $IMAGE"
