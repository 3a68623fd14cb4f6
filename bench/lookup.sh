#!/usr/bin/env bash
# Imports every ../shared/corpus source into one project (several thousand
# capabilities), then measures looking up one capability by id from a fresh
# process: `forge capability show ID -o json`. Target: median <= 20 ms.
#
# Usage: bench/lookup.sh [RUNS]   (default 30)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${FORGE_CORPUS:-$root/../shared/corpus}
runs=${1:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/forge-bench.XXXXXX")
[ -n "${KEEP:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/forge" ./cmd/forge && go build -o "$work/mcp-test-server" ./internal/source/mcp/mcptest/mcp-test-server)
forge="$work/forge"
cd "$work"
"$forge" init proj >/dev/null
cd proj
i=0
for f in "$corpus"/openapi/*.json "$corpus"/openapi/*.yaml "$corpus"/openapi/oai-examples/*; do
  i=$((i + 1))
  "$forge" source add "openapi$i" --openapi "$f" >/dev/null 2>&1
done
"$forge" source add ghsdl --graphql "$corpus/graphql/github-schema.graphql" >/dev/null 2>&1
"$forge" source add ghintro --graphql "$corpus/graphql/github-introspection.json" >/dev/null 2>&1
"$forge" source add saleor --graphql "$corpus/graphql/saleor-schema.graphql" >/dev/null 2>&1
"$forge" source add ghmcp --mcp-command "$work/mcp-test-server $corpus/mcp/github-mcp-server.tools-list.json" >/dev/null 2>&1
total=$("$forge" capability list -o json | grep -c '"id":')
echo "registry: $("$forge" source list | tail -n +2 | wc -l) sources, $total capabilities, $(du -sh registry | cut -f1) on disk"

# The id to look up: one in the largest source file (GitHub REST).
id=$("$forge" capability list --source openapi1 -o json | grep '"id":' | sed -n '500p' | sed 's/.*"id": "\(.*\)",/\1/')
echo "looking up: $id"
"$forge" capability show "$id" -o json >/dev/null

times=()
for _ in $(seq "$runs"); do
  s=$(date +%s%N)
  "$forge" capability show "$id" -o json >/dev/null
  e=$(date +%s%N)
  times+=($(( (e - s) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk -v n="$runs" 'NR == int((n + 1) / 2)')
p90=$(echo "$sorted" | awk -v n="$runs" 'NR == int(n * 0.9)')
awk -v n="$runs" -v m="$median" -v p="$p90" 'BEGIN { printf "capability show (fresh process), %d runs: median %.1f ms, p90 %.1f ms (target <= 20 ms)\n", n, m / 1000, p / 1000 }'
