#!/usr/bin/env bash
# eBPF source benchmarks (docs/benchmarks/ebpf.md): throughput with drops, overhead ratios of an
# exec loop, an open/close loop and dd with and without the agent (alternating), the RSS, and
# in-kernel policy scope (narrow vs global policy on a kill storm and an open/close loop).
# Needs root and a kernel with BTF. Knobs: TRACEE_EBPF_BENCH_SECONDS (5), TRACEE_EBPF_BENCH_PAIRS (5), TRACEE_EBPF_BENCH_REPS (3: runs per workload and side in a pair, the least counts), TRACEE_EBPF_BENCH_SETTLE (5: seconds between the agent ready and its runs),
# TRACEE_EBPF_BENCH_DD (2000000), TRACEE_EBPF_BENCH_EVENTS (default: the built-in signatures' events),
# TRACEE_EBPF_BENCH_RATES (throughput targets, calls/s: 250000,500000,750000,1000000,0),
# TRACEE_EBPF_BENCH_SCOPE_ROUNDS (4), TRACEE_EBPF_BENCH_SCOPE_SECONDS (2), TRACEE_EBPF_BENCH_SCOPE_OPENS
# (200000), TRACEE_EBPF_BENCH_RUN: which benchmarks (default
# 'throughput|overhead|scope|magic_write_program|tracepoint_dispatch'; 'scope' alone takes about a
# minute and a half; 'magic_write_program' is the ns per call of magic_write's program on dd, from
# bpf_stats; 'tracepoint_dispatch' is dd's CPU with a no-op on a perf syscall tracepoint vs tp_btf).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "bench-ebpf: needs root (the benchmarks load eBPF programs)" >&2
	exit 1
fi
out=${1:-/tmp/tracee-bench-ebpf.txt}
bin=$(mktemp -d)/ebpf.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
CGO_ENABLED=1 go test -trimpath -c -o "$bin" ./internal/adapters/ebpf/
# The shipped binary, built as `make` builds it (default signatures, default outputs: its stdout
# goes to /dev/null). TRACEE_EBPF_BENCH_SHIPPED=0 skips its throughput and overhead runs.
make -s tracee >/dev/null
agent="$PWD/dist/tracee"
run() { TRACEE_EBPF_BENCH=1 "$bin" -test.run "$1" -test.v -test.timeout 60m 2>&1 | grep -E 'RESULT|FAIL|agent events' | sed 's/^ *[a-z_]*\.go:[0-9]*: //'; }
{
	echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	run "TestBench_(${TRACEE_EBPF_BENCH_RUN:-throughput|overhead|scope|magic_write_program|tracepoint_dispatch})\$"
	if [ "${TRACEE_EBPF_BENCH_SHIPPED:-1}" != 0 ] && [[ "${TRACEE_EBPF_BENCH_RUN:-throughput}" == *throughput* ]]; then
		echo "# throughput of the shipped binary ($agent -e signatures,kill -o none), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
		TRACEE_EBPF_BENCH_AGENT="$agent" run 'TestBench_throughput$'
	fi
	if [ "${TRACEE_EBPF_BENCH_SHIPPED:-1}" != 0 ] && [[ "${TRACEE_EBPF_BENCH_RUN:-overhead}" == *overhead* ]]; then
		echo "# overhead of the shipped binary ($agent), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
		TRACEE_EBPF_BENCH_AGENT="$agent" run 'TestBench_overhead$'
	fi
	go test -run '^$' -bench 'BenchmarkDecoder' -benchmem ./internal/adapters/ebpf/ | grep Benchmark
	echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
