# Shared by the bench scripts: builds forge and a project whose registry
# holds every ../shared/corpus source (several thousand capabilities).
# Sets: root, work, forge, proj. Keeps $work when KEEP=1.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${FORGE_CORPUS:-$root/../shared/corpus}
work=$(mktemp -d "${TMPDIR:-/tmp}/forge-bench.XXXXXX")
if [ -n "${KEEP:-}" ]; then echo "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi

(cd "$root" && go build -o "$work/forge" ./cmd/forge && go build -o "$work/mcp-test-server" ./internal/source/mcp/mcptest/mcp-test-server)
forge="$work/forge"
proj="$work/proj"

corpus_project() {
  "$forge" init "$proj" >/dev/null
  (
    cd "$proj"
    local i=0 f
    for f in "$corpus"/openapi/*.json "$corpus"/openapi/*.yaml "$corpus"/openapi/oai-examples/*; do
      i=$((i + 1))
      "$forge" source add "openapi$i" --openapi "$f" >/dev/null 2>&1
    done
    "$forge" source add ghsdl --graphql "$corpus/graphql/github-schema.graphql" >/dev/null 2>&1
    "$forge" source add ghintro --graphql "$corpus/graphql/github-introspection.json" >/dev/null 2>&1
    "$forge" source add saleor --graphql "$corpus/graphql/saleor-schema.graphql" >/dev/null 2>&1
    "$forge" source add ghmcp --mcp-command "$work/mcp-test-server $corpus/mcp/github-mcp-server.tools-list.json" >/dev/null 2>&1
    echo "registry: $("$forge" source list | tail -n +2 | wc -l) sources, $("$forge" capability list -o json | grep -c '"id":') capabilities, $(du -sh registry | cut -f1) on disk"
  )
}

# time_runs N CMD...: runs CMD N times, prints the median and p90 in ms.
time_runs() {
  local n=$1 s e
  shift
  local times=()
  for _ in $(seq "$n"); do
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    times+=($(((e - s) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" '{ a[NR] = $1 } END { printf "median %.1f ms, p90 %.1f ms (%d runs)", a[int((n + 1) / 2)] / 1000, a[int(n * 0.9)] / 1000, n }'
}
