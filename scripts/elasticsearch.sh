#!/usr/bin/env bash
# Runs throw-away single-node Elasticsearch instances on 127.0.0.1 for tests and benchmarks.
#
#   scripts/elasticsearch.sh install            fetch (mvn) and unpack Elasticsearch once
#   scripts/elasticsearch.sh start NAME [--secure]
#                                               start node NAME on a free port (the same port
#                                               again on a restart), wait for health, print URL
#   scripts/elasticsearch.sh stop NAME          stop node NAME (keeps its data)
#   scripts/elasticsearch.sh destroy NAME       stop node NAME and delete its data
#   scripts/elasticsearch.sh url NAME           print the URL of node NAME
#   scripts/elasticsearch.sh pid NAME           print the process ID of running node NAME
#
# --secure turns xpack security on (plain HTTP) with a file-realm superuser; its name and password
# are in $ES_CACHE/nodes/NAME/user and .../password (defaults tracee / tracee-test-password).
# Elasticsearch's integ-test distribution comes from Maven Central; it has no JDK of its own and
# refuses to run as root, so it runs with the machine's Java 17 as the system user "es".
# Environment: ES_VERSION (8.19.7), ES_CACHE (/var/cache/tracee-es), ES_JAVA_HOME, ES_HEAP (512m).
set -euo pipefail

ES_VERSION=${ES_VERSION:-8.19.7}
ES_CACHE=${ES_CACHE:-/var/cache/tracee-es}
ES_HEAP=${ES_HEAP:-512m}
ES_USER=${ES_USER:-es}
ES_HOME="$ES_CACHE/elasticsearch-$ES_VERSION"
SECURE_USER=${ES_SECURE_USER:-tracee}
SECURE_PASSWORD=${ES_SECURE_PASSWORD:-tracee-test-password}

die() { echo "elasticsearch.sh: $*" >&2; exit 1; }

find_java() {
	if [[ -n "${ES_JAVA_HOME:-}" ]]; then echo "$ES_JAVA_HOME"; return; fi
	for j in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/temurin-2*; do
		[[ -x "$j/bin/java" ]] && { echo "$j"; return; }
	done
	die "no Java 17+ under /usr/lib/jvm; set ES_JAVA_HOME"
}

install() {
	if [[ -x "$ES_HOME/bin/elasticsearch" ]]; then return; fi
	command -v mvn >/dev/null || die "mvn not found (needed to fetch Elasticsearch from Maven Central)"
	local zip="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
	if [[ ! -f "$zip" ]]; then
		mvn -q dependency:get -Dtransitive=false \
			-Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" >&2 \
			|| die "mvn could not fetch elasticsearch $ES_VERSION"
	fi
	mkdir -p "$ES_CACHE"
	local tmp
	tmp=$(mktemp -d "$ES_CACHE/unzip.XXXXXX")
	unzip -q "$zip" -d "$tmp" || die "unzip $zip failed"
	mv "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME" 2>/dev/null || true
	rm -rf "$tmp"
	[[ -x "$ES_HOME/bin/elasticsearch" ]] || die "unpacked, but $ES_HOME/bin/elasticsearch is missing"
}

ensure_user() {
	[[ $(id -u) == 0 ]] || die "needs root: Elasticsearch refuses root, so it runs as the system user $ES_USER (created here)"
	id "$ES_USER" >/dev/null 2>&1 || useradd -r -m -s /usr/sbin/nologin "$ES_USER"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
	local p
	for p in $(seq 19200 19399); do
		# skip ports another node of ours has claimed, even if it is stopped
		if grep -qsx "$p" "$ES_CACHE"/nodes/*/port; then continue; fi
		port_free "$p" && { echo "$p"; return; }
	done
	die "no free port in 19200-19399"
}

node_dir() { echo "$ES_CACHE/nodes/$1"; }

running() {
	local dir pid
	dir=$(node_dir "$1")
	[[ -f "$dir/pid" ]] || return 1
	pid=$(cat "$dir/pid" 2>/dev/null) || return 1
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

curl_auth() {
	local dir=$1
	if [[ -f "$dir/password" ]]; then
		echo "-u" "$(cat "$dir/user"):$(cat "$dir/password")"
	fi
}

wait_health() {
	local name=$1 dir port i
	dir=$(node_dir "$name")
	port=$(cat "$dir/port")
	for i in $(seq 1 1200); do
		# shellcheck disable=SC2046
		if curl -fsS -o /dev/null $(curl_auth "$dir") "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null; then
			return 0
		fi
		running "$name" || die "node $name exited while starting; see $dir/start.out and $dir/logs/"
		sleep 0.25
	done
	die "node $name not healthy after 300 s; see $dir/start.out and $dir/logs/"
}

start() {
	local name=${1:?usage: start NAME [--secure]} secure=false
	[[ "${2:-}" == "--secure" ]] && secure=true
	install
	ensure_user
	local dir
	dir=$(node_dir "$name")
	mkdir -p "$dir"
	if running "$name"; then
		wait_health "$name"
		echo "http://127.0.0.1:$(cat "$dir/port")"
		return
	fi
	if [[ ! -d "$dir/config" ]]; then
		cp -r "$ES_HOME/config" "$dir/config"
		mkdir -p "$dir/data" "$dir/logs"
	fi
	if [[ ! -f "$dir/port" ]]; then
		# nodes started side by side must not pick the same port
		exec 9>"$ES_CACHE/.port.lock"
		flock 9
		pick_port >"$dir/port"
		exec 9>&-
	fi
	local port
	port=$(cat "$dir/port")
	port_free "$port" || die "port $port of node $name is taken by another process"
	[[ "$(stat -c %U "$ES_HOME/config")" == "$ES_USER" ]] || chown -R "$ES_USER" "$ES_HOME"
	chown -R "$ES_USER" "$dir"
	if $secure && [[ ! -f "$dir/password" ]]; then
		runuser -u "$ES_USER" -- env ES_PATH_CONF="$dir/config" ES_JAVA_HOME="$(find_java)" \
			"$ES_HOME/bin/elasticsearch-users" useradd "$SECURE_USER" -p "$SECURE_PASSWORD" -r superuser >/dev/null
		echo "$SECURE_USER" >"$dir/user"
		echo "$SECURE_PASSWORD" >"$dir/password"
		chmod 600 "$dir/password"
	fi
	local sec=false
	[[ -f "$dir/password" ]] && sec=true
	rm -f "$dir/pid"
	runuser -u "$ES_USER" -- env ES_PATH_CONF="$dir/config" ES_JAVA_HOME="$(find_java)" \
		ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
		"$ES_HOME/bin/elasticsearch" -d -p "$dir/pid" \
		-E discovery.type=single-node -E network.host=127.0.0.1 -E http.port="$port" \
		-E path.data="$dir/data" -E path.logs="$dir/logs" -E cluster.name="tracee-$name" \
		-E xpack.security.enabled="$sec" \
		-E cluster.routing.allocation.disk.threshold_enabled=false \
		-E action.destructive_requires_name=false >"$dir/start.out" 2>&1 \
		|| die "node $name failed to start; see $dir/start.out and $dir/logs/"
	wait_health "$name"
	echo "http://127.0.0.1:$port"
}

stop() {
	local name=${1:?usage: stop NAME} dir pid i
	dir=$(node_dir "$name")
	running "$name" || return 0
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 120); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }
		sleep 0.25
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/pid"
}

destroy() {
	local name=${1:?usage: destroy NAME}
	stop "$name"
	rm -rf "$(node_dir "$name")"
}

url() {
	local dir
	dir=$(node_dir "${1:?usage: url NAME}")
	[[ -f "$dir/port" ]] || die "node $1 was never started"
	echo "http://127.0.0.1:$(cat "$dir/port")"
}

pid() {
	local name=${1:?usage: pid NAME}
	running "$name" || die "node $name is not running"
	cat "$(node_dir "$name")/pid"
}

cmd=${1:-}
shift || true
case "$cmd" in
install) install ;;
start) start "$@" ;;
stop) stop "$@" ;;
destroy) destroy "$@" ;;
url) url "$@" ;;
pid) pid "$@" ;;
*) die "usage: $0 install | start NAME [--secure] | stop NAME | destroy NAME | url NAME | pid NAME" ;;
esac
