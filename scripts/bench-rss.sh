#!/usr/bin/env bash
# Memory of the shipped agent under a steady load (docs/benchmarks/ebpf.md, "Memory"): dist/tracee
# with the default signatures plus `-e kill` (`-e signatures,kill`, output none, metrics on a
# loopback port) while one generator process calls kill(self, 0) at RATE calls/s (default 50000)
# for SECONDS (default 600). Every INTERVAL seconds (default 30) it prints the agent's VmRSS,
# RssAnon, RssFile, RssShmem (from /proc/PID/status), the Go heap in use and the events the agent
# received (from /metrics), and its major page faults (pages read back from disk: the executable's
# and plugins' pages after the agent paged them out once ready, internal/memtrim). The generator
# is the eBPF test binary's storm helper.
# Needs root and BTF; run it on a quiet machine and quote the load average it prints.
# Usage: sudo scripts/bench-rss.sh [SECONDS] [RATE] [INTERVAL]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
rate=${2:-50000}
interval=${3:-30}
if [ "$(id -u)" != 0 ]; then
	echo "bench-rss: needs root (the agent loads eBPF programs)" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'kill -INT "${agent_pid:-0}" 2>/dev/null || true; kill "${gen_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
make -s build >/dev/null
CGO_ENABLED=1 go test -trimpath -c -o "$work/ebpf.test" ./internal/adapters/ebpf/
port=$((33000 + RANDOM % 2000))
dist/tracee -e signatures,kill -o none --server metrics --server "http-address=127.0.0.1:$port" >/dev/null 2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 300); do
	grep -q "eBPF source ready" "$work/agent.log" && break
	sleep 0.2
done
grep -q "eBPF source ready" "$work/agent.log" || { cat "$work/agent.log" >&2; exit 1; }
echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# agent pid $agent_pid: dist/tracee -e signatures,kill -o none; generator: kill(self,0) at $rate/s for ${secs}s"
TRACEE_EBPF_TEST_HELPER=storm GODEBUG=asyncpreemptoff=1 "$work/ebpf.test" -test.run='^$' "$secs:1:$rate" >"$work/calls" &
gen_pid=$!
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$agent_pid/status"; }
metric() { curl -s "127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k {printf "%.0f", $2}'; }
majflt() { awk '{print $12}' "/proc/$agent_pid/stat"; }
printf '%8s %10s %10s %10s %10s %10s %12s %8s\n' elapsed VmRSS_kB RssAnon RssFile RssShmem heap_kB events majflt
start=$(date +%s)
while kill -0 "$gen_pid" 2>/dev/null; do
	now=$(($(date +%s) - start))
	heap=$(metric go_memstats_heap_inuse_bytes)
	events=$(curl -s "127.0.0.1:$port/metrics" | awk '/^tracee_events_by_name_total\{event_name="kill"\}/ {printf "%.0f", $2}')
	printf '%8s %10s %10s %10s %10s %10s %12s %8s\n' "${now}s" "$(status VmRSS)" "$(status RssAnon)" "$(status RssFile)" \
		"$(status RssShmem)" "$((${heap:-0} / 1024))" "${events:-0}" "$(majflt)"
	sleep "$interval"
done
wait "$gen_pid"
echo "# generator calls: $(cat "$work/calls"); peak VmHWM $(status VmHWM) kB"
echo "# where the RSS is, by mapping (kB): $(awk '/^[0-9a-f]+-[0-9a-f]+ /{n=$6} /^Rss:/{r[n]+=$2} END{for(k in r) if (r[k]>1000) printf "%s=%d ", (k==""?"[anon]":k), r[k]}' "/proc/$agent_pid/smaps")"
echo "# the agent's own files by segment (perms@offset=kB): $(awk -v exe="$(readlink -f dist/tracee)" -v sigs="$(readlink -f dist/signatures)" \
	'/^[0-9a-f]+-[0-9a-f]+ /{k=""; if ($6 == exe || index($6, sigs "/") == 1) k=$6 ":" $2 "@" $3} /^Rss:/{if (k != "") printf "%s=%d ", k, $2}' "/proc/$agent_pid/smaps")"
grep -h "start-up memory released" "$work/agent.log" | sed 's/^/# agent: /' || true
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
