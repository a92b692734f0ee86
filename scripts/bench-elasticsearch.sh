#!/usr/bin/env bash
# Elasticsearch sink benchmarks (docs/benchmarks/elasticsearch.md): BenchmarkIntegration_ship
# (the sink, with and without the spool's fsync, against raw _bulk of the same pre-encoded
# documents, alternating, each round into fresh indices) on a throw-away local node, twice:
#   shared: the node, the sink and the raw client on every CPU of this machine, competing;
#   pinned: the node on the last CPU, the sink and the raw client on the others (as with the node
#           on a machine of its own, where the sink's CPU does not slow the node down);
# then, with the node gone and the machine quiet again (1-minute load under 0.7, up to 5 minutes),
# the sink's per-alert costs without a server. A node that has just started is slower: one
# round of each path runs first and is left out. Knobs: TRACEE_ES_BENCH_PAIRS (15: rounds of each
# path per run; the median of the pairs' ratios is reported beside the ratio of the totals),
# TRACEE_ES_BENCH_ALERTS (20000 per round). Needs root (the node runs as the user "es").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/tracee-bench-elasticsearch.txt}
pairs=${TRACEE_ES_BENCH_PAIRS:-15}
alerts=${TRACEE_ES_BENCH_ALERTS:-20000}
cpus=$(nproc)
load() { cut -d' ' -f1-3 /proc/loadavg; }
before=$(load) # the build and the node's start raise it
bin=$(mktemp -d)/elasticsearch.test
trap 'scripts/elasticsearch.sh destroy bench || true; rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./internal/adapters/elasticsearch/
url=$(scripts/elasticsearch.sh start bench)
pid=$(scripts/elasticsearch.sh pid bench)
# ship PAIRS [PREFIX...]: one BenchmarkIntegration_ship, run under PREFIX (taskset)
ship() {
	local n=$1
	shift
	ELASTICSEARCH_URL=$url ELASTICSEARCH_PID=$pid TRACEE_ES_BENCH_PAIRS=$n "$@" "$bin" -test.run '^$' \
		-test.bench 'Integration_ship$' -test.benchtime "${alerts}x" | grep '^BenchmarkIntegration_ship'
}
{
	echo "# $(date -u +%FT%TZ) $(uname -r), $cpus CPUs, load average before the build: $before, now: $(load)"
	ship 1 >/dev/null # the node's warm-up
	echo "# shared: node, sink and raw client on all $cpus CPUs; $pairs pairs of $alerts alerts; load average: $(load)"
	ship "$pairs"
	if [ "$cpus" -ge 2 ]; then
		last=$((cpus - 1))
		echo "# pinned: node on CPU $last, sink and raw client on CPUs 0-$((last - 1)); load average: $(load)"
		taskset -a -p -c "$last" "$pid" >/dev/null
		ship "$pairs" taskset -c "0-$((last - 1))"
		taskset -a -p -c "0-$last" "$pid" >/dev/null
	fi
	scripts/elasticsearch.sh destroy bench
	for _ in $(seq 30); do awk '{exit !($1 >= 0.7)}' /proc/loadavg || break; sleep 10; done
	echo "# per alert, no server; load average: $(load)"
	"$bin" -test.run '^$' -test.bench 'Encoder_alert|Sink_alert_path' -test.benchmem -test.count 3 | grep '^Benchmark'
	echo "# load average after: $(load)"
} | tee "$out"
