#!/usr/bin/env bash
# Runs every test. Each scripts/test.d/*.sh hook is sourced first, in name order: it installs what
# its tests need, starts services, exports their addresses and registers cleanup with on_exit.
set -euo pipefail
cd "$(dirname "$0")/.."

_on_exit_cmds=()
on_exit() { _on_exit_cmds+=("$1"); }
_run_on_exit() {
	local i
	for ((i = ${#_on_exit_cmds[@]} - 1; i >= 0; i--)); do eval "${_on_exit_cmds[$i]}" || true; done
}
trap _run_on_exit EXIT

export CGO_ENABLED=1
for hook in scripts/test.d/*.sh; do
	[ -e "$hook" ] || continue
	echo "== setup: $hook"
	# shellcheck source=/dev/null
	source "$hook"
done

echo "== go test"
set +e
go test -trimpath -count=1 -timeout 75m ${GOTEST_FLAGS:-} ./... 2>&1 | tee /tmp/tracee-go-test.log
status=${PIPESTATUS[0]}
set -e
passed=$(grep -c $'^ok\\s' /tmp/tracee-go-test.log || true)
failed=$(grep -c $'^FAIL\t' /tmp/tracee-go-test.log || true)
echo "packages: ${passed} passed, ${failed} failed"
exit "$status"
