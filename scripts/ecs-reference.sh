#!/usr/bin/env bash
# Regenerates internal/adapters/elasticsearch/testdata/ecs/ecs_flat-VERSION.json, the ECS field
# reference the document tests validate against: every field's type (and whether it is an array),
# and the allowed values of event.kind/category/type with each category's expected types.
# The source is Elastic's own npm package @elastic/ecs (its generated ecs_flat table).
# Usage: scripts/ecs-reference.sh [VERSION]   (default 8.11.1: ECS 8.11, the version documents claim)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-8.11.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@elastic/ecs@$version" >/dev/null && tar xzf elastic-ecs-"$version".tgz)
out=internal/adapters/elasticsearch/testdata/ecs/ecs_flat-$version.json
node -e '
const {EcsFlat} = require(process.argv[1]);
const fields = {};
for (const [name, f] of Object.entries(EcsFlat)) {
  const e = {type: f.type};
  if ((f.normalize || []).includes("array")) e.array = true;
  if (f.allowed_values) e.allowed = Object.fromEntries(f.allowed_values.map(v => [v.name, v.expected_event_types || []]));
  fields[name] = e;
}
const keys = Object.keys(fields).sort();
const lines = keys.map(k => JSON.stringify(k) + ":" + JSON.stringify(fields[k]));
process.stdout.write("{\"source\":\"npm @elastic/ecs@" + process.argv[2] + " generated/ecs_flat.js\",\"fields\":{\n" + lines.join(",\n") + "\n}}\n");
' "$tmp/package/generated/ecs_flat.js" "$version" >"$out"
echo "wrote $out ($(wc -c <"$out") bytes)"
