#!/usr/bin/env bash
# Replay throughput of the built agent: `tracee --replay` over a generated corpus of recorded live
# events (testdata/live-sample.jsonl of internal/adapters/replay repeated, timestamps renumbered),
# with the built-in signatures loaded and no output. Reports events per second of wall time and
# events per CPU second (user+sys of the process: what one core sustains), at GOMAXPROCS=1 and at
# the machine's default, and the peak resident memory when GNU time (/usr/bin/time) is installed.
#
#   scripts/bench-replay.sh [LINES]            # default 500000 lines (~450 MB, written to a temp dir)
#   BASELINE=/path/to/tracee scripts/bench-replay.sh
#       also runs another build (e.g. main's) on the same corpus, alternating with this one.
#   RUNS=5 scripts/bench-replay.sh             # runs per binary and setting (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
lines=${1:-500000}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -trimpath -o "$work/tracee" ./cmd/tracee
mkdir -p "$work/signatures"
go build -trimpath -buildmode=plugin -o "$work/signatures/builtin.so" ./signatures/plugin
REPLAY_CORPUS="$work/corpus.jsonl" REPLAY_CORPUS_LINES="$lines" \
	go test -count=1 -run '^TestWriteCorpus$' ./internal/adapters/replay >/dev/null
echo "corpus: $lines lines, $(du -h "$work/corpus.jsonl" | cut -f1); load: $(cut -d' ' -f1-3 /proc/loadavg)"

binaries=("this:$work/tracee")
if [ -n "${BASELINE:-}" ]; then
	mkdir -p "$work/baseline/signatures"
	cp "$BASELINE" "$work/baseline/tracee"
	# a baseline brings its own plugins next to it, or runs without signatures
	if [ -d "$(dirname "$BASELINE")/signatures" ]; then
		cp "$(dirname "$BASELINE")"/signatures/*.so "$work/baseline/signatures/" 2>/dev/null || true
	fi
	binaries+=("baseline:$work/baseline/tracee")
fi

timed=()
if [ -x /usr/bin/time ]; then timed=(/usr/bin/time -f %M -o "$work/rss"); fi

run() { # label binary procs
	local t0 t1 wall cpu rss=n/a
	t0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
	local start=$EPOCHREALTIME
	GOMAXPROCS=$3 "${timed[@]}" "$2" --replay "$work/corpus.jsonl" --output none --alerts-db none >/dev/null 2>"$work/stderr" ||
		{ cat "$work/stderr" >&2; exit 1; }
	wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')
	t1=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
	cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN{print (b-a)/hz}')
	if [ -s "$work/rss" ]; then rss="$(($(tail -1 "$work/rss") / 1024))MB"; fi
	awk -v l="$1" -v p="$3" -v n="$lines" -v w="$wall" -v c="$cpu" -v r="$rss" 'BEGIN{
		printf "%-9s GOMAXPROCS=%-2s wall=%6.2fs cpu=%6.2fs events/s=%8.0f events/s-per-core=%8.0f max-rss=%s\n", l, p, w, c, n/w, n/c, r}'
}

for procs in 1 "$(nproc)"; do
	for i in $(seq "$runs"); do
		for b in "${binaries[@]}"; do
			run "${b%%:*}" "${b#*:}" "$procs"
		done
	done
done
echo "last run's log:"; head -5 "$work/stderr"
