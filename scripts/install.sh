#!/usr/bin/env bash
# Installs the built agent (make build) under DESTDIR+PREFIX: binary, signature plugins, man pages,
# shell completions, the systemd unit and the default options file. Used by `make install` and
# `make deb`. An existing options file is kept (the new one is written beside it as .new).
# Variables: PREFIX (/usr/local), DESTDIR, BINDIR, LIBDIR, MANDIR, SYSCONFDIR, UNITDIR, DIST.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
DIST=${DIST:-dist}
BINDIR=${BINDIR:-$PREFIX/bin}
LIBDIR=${LIBDIR:-$PREFIX/lib/tracee}
MANDIR=${MANDIR:-$PREFIX/share/man}
DATADIR=${DATADIR:-$PREFIX/share}
if [ "$PREFIX" = /usr ]; then
	SYSCONFDIR=${SYSCONFDIR:-/etc}
	UNITDIR=${UNITDIR:-/lib/systemd/system}
else
	SYSCONFDIR=${SYSCONFDIR:-$PREFIX/etc}
	UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
fi
for f in "$DIST/tracee" "$DIST/signatures/builtin.so"; do
	[ -f "$f" ] || { echo "install: $f is missing: run make build first" >&2; exit 1; }
done
d() { echo "$DESTDIR$1"; }

install -d "$(d "$BINDIR")" "$(d "$LIBDIR/signatures")" "$(d "$MANDIR/man1")" "$(d "$UNITDIR")" \
	"$(d "$SYSCONFDIR/default")" "$(d "$DATADIR/bash-completion/completions")" \
	"$(d "$DATADIR/zsh/vendor-completions")" "$(d "$DATADIR/fish/vendor_completions.d")"
install -m 0755 "$DIST/tracee" "$(d "$BINDIR")/tracee"
install -m 0644 "$DIST"/signatures/*.so "$(d "$LIBDIR/signatures")/"
for m in docs/man/*.1; do
	gzip -9n <"$m" >"$(d "$MANDIR/man1")/$(basename "$m").gz"
	chmod 0644 "$(d "$MANDIR/man1")/$(basename "$m").gz"
done
"$DIST/tracee" completion bash >"$(d "$DATADIR/bash-completion/completions")/tracee"
"$DIST/tracee" completion zsh >"$(d "$DATADIR/zsh/vendor-completions")/_tracee"
"$DIST/tracee" completion fish >"$(d "$DATADIR/fish/vendor_completions.d")/tracee.fish"
sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" \
	packaging/systemd/tracee.service.in >"$(d "$UNITDIR")/tracee.service"
chmod 0644 "$(d "$UNITDIR")/tracee.service"
conf=$(d "$SYSCONFDIR/default")/tracee
if [ -e "$conf" ] && ! cmp -s packaging/default/tracee "$conf"; then
	install -m 0644 packaging/default/tracee "$conf.new"
	echo "install: kept $conf; the shipped one is $conf.new"
else
	install -m 0644 packaging/default/tracee "$conf"
fi
echo "installed tracee under ${DESTDIR}${PREFIX} (unit $UNITDIR/tracee.service, options $SYSCONFDIR/default/tracee)"
