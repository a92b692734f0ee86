#!/usr/bin/env bash
# Benchmarks of the engine and the signatures. Method: go test -bench with -count 5 so that
# benchstat-style medians can be read; the machine is shared and noisy, so compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
go test -trimpath -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-5}" ./internal/domain/ ./signatures/... | tee dist/bench.txt
for extra in scripts/bench.d/*.sh; do [ -e "$extra" ] && bash "$extra"; done
exit 0
