#!/usr/bin/env bash
# Builds dist/tracee_VERSION_ARCH.deb with dpkg-deb from `scripts/install.sh` run into a staging
# tree (PREFIX=/usr), plus packaging/deb's maintainer scripts. Needs a built agent (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
arch=$(dpkg --print-architecture)
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo 0)}
version=${version#v}
[[ $version =~ ^[0-9] ]] || version="0.0.0+git${version//-/.}" # Debian versions start with a digit
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" PREFIX=/usr DIST="$DIST" bash scripts/install.sh >/dev/null
chmod 0755 "$stage"
install -d -m 0755 "$stage/DEBIAN"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
echo /etc/default/tracee >"$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" packaging/deb/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
out="$DIST/tracee_${version}_${arch}.deb"
rm -f "$DIST"/tracee_*.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
