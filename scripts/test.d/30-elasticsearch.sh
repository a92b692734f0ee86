# Elasticsearch for the integration tests (internal/adapters/elasticsearch): a plain node and a
# node with security on and a file-realm user, both single-node on 127.0.0.1, run as user "es".
# The first run fetches Elasticsearch with mvn into ~/.m2 and unpacks it under /var/cache/tracee-es.
# Exports:
#   ELASTICSEARCH_URL                 the plain node
#   ELASTICSEARCH_SECURE_URL/_USER/_PASSWORD   the secured node and its superuser
#   ELASTICSEARCH_CTL                 scripts/elasticsearch.sh, for tests that start and stop a node
#                                     of their own (the outage test uses node "test-outage")
# Set TRACEE_SKIP_ELASTICSEARCH=1 to skip (the integration tests then skip with a reason).
if [ "${TRACEE_SKIP_ELASTICSEARCH:-}" != 1 ]; then
	_es_ctl="$PWD/scripts/elasticsearch.sh"
	"$_es_ctl" install
	_es_tmp=$(mktemp -d)
	# both nodes start at once: a node takes ~10 s on an idle machine, much longer on a busy one
	"$_es_ctl" start test-plain >"$_es_tmp/plain" 2>"$_es_tmp/plain.err" &
	_es_pid1=$!
	"$_es_ctl" start test-secure --secure >"$_es_tmp/secure" 2>"$_es_tmp/secure.err" &
	_es_pid2=$!
	on_exit "'$_es_ctl' destroy test-plain; '$_es_ctl' destroy test-secure; '$_es_ctl' destroy test-outage"
	_es_ok=true
	wait "$_es_pid1" || _es_ok=false
	wait "$_es_pid2" || _es_ok=false
	if ! $_es_ok; then
		cat "$_es_tmp"/*.err >&2
		rm -rf "$_es_tmp"
		echo "30-elasticsearch: FAIL: could not start the test nodes" >&2
		return 1
	fi
	ELASTICSEARCH_URL=$(cat "$_es_tmp/plain")
	ELASTICSEARCH_SECURE_URL=$(cat "$_es_tmp/secure")
	ELASTICSEARCH_SECURE_USER=$(cat "${ES_CACHE:-/var/cache/tracee-es}/nodes/test-secure/user")
	ELASTICSEARCH_SECURE_PASSWORD=$(cat "${ES_CACHE:-/var/cache/tracee-es}/nodes/test-secure/password")
	ELASTICSEARCH_CTL=$_es_ctl
	export ELASTICSEARCH_URL ELASTICSEARCH_SECURE_URL ELASTICSEARCH_SECURE_USER ELASTICSEARCH_SECURE_PASSWORD ELASTICSEARCH_CTL
	echo "30-elasticsearch: plain $ELASTICSEARCH_URL, secured $ELASTICSEARCH_SECURE_URL"
	rm -rf "$_es_tmp"
	unset _es_ctl _es_tmp _es_pid1 _es_pid2 _es_ok
fi
