#!/usr/bin/env bash
# Compares the eBPF overhead benchmark (TestBench_overhead: an exec loop, an open/close loop and
# dd bs=1, each timed with and without the source, alternating, medians of the pairs) of two
# revisions in one run: the test binaries of REV (default: the previous release point) and of the
# work tree are built first, then run alternately ROUNDS times (default 2) on the same machine.
# Each run attaches what the default signatures of its own revision select. Needs root and BTF;
# run it on a quiet machine (nothing else building or testing) and quote the load average it prints.
# Usage: sudo scripts/bench-ebpf-compare.sh [REV] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-b51d9a9}
rounds=${2:-2}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/old" "$rev"
(cd "$work/old" && CGO_ENABLED=1 go test -trimpath -c -o "$work/old.test" ./internal/adapters/ebpf/)
CGO_ENABLED=1 go test -trimpath -c -o "$work/new.test" ./internal/adapters/ebpf/
echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= rounds; i++)); do
	for which in old new; do
		label=$which
		[ "$which" = old ] && label="old ($rev)" || label="new ($(git rev-parse --short HEAD))"
		echo "## round $i: $label, load average $(cut -d' ' -f1-3 /proc/loadavg)"
		(TRACEE_EBPF_BENCH=1 "$work/$which.test" -test.run 'TestBench_overhead$' -test.v -test.timeout 30m 2>&1 |
			grep -E 'RESULT|FAIL' | sed 's/^ *[a-z_]*\.go:[0-9]*: //')
	done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
