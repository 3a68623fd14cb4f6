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

# quietly CMD...: runs CMD with its output dropped; if it fails, prints
# its standard error and returns its status.
quietly() {
  local err status=0
  err=$("$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" -ne 0 ]; then
    echo "bench: failed (exit $status): $*" >&2
    [ -z "$err" ] || printf '%s\n' "$err" >&2
  fi
  return "$status"
}

corpus_project() {
  quietly "$forge" init "$proj"
  (
    cd "$proj"
    local i=0 f
    for f in "$corpus"/openapi/*.json "$corpus"/openapi/*.yaml "$corpus"/openapi/oai-examples/*; do
      i=$((i + 1))
      quietly "$forge" source add "openapi$i" --openapi "$f"
    done
    quietly "$forge" source add ghsdl --graphql "$corpus/graphql/github-schema.graphql"
    quietly "$forge" source add ghintro --graphql "$corpus/graphql/github-introspection.json"
    quietly "$forge" source add saleor --graphql "$corpus/graphql/saleor-schema.graphql"
    quietly "$forge" source add ghmcp --mcp-command "$work/mcp-test-server $corpus/mcp/github-mcp-server.tools-list.json"
    echo "registry: $("$forge" source list | tail -n +2 | wc -l) sources, $("$forge" capability list -o json | grep -c '"id":') capabilities, $(du -sh registry | cut -f1) on disk"
  )
}

# time_runs N CMD...: runs CMD once (if it fails, prints its standard error
# and returns its status: a benchmark of a failing command measures
# nothing), then N times, and prints the median and p90 in ms. Call it as
# an assignment, t=$(time_runs ...), so that set -e stops on a failure
# (inside echo "$(...)" the status would be lost).
time_runs() {
  local n=$1 s e
  shift
  quietly "$@" || return
  local times=()
  for _ in $(seq "$n"); do
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "bench: failed on a timed run: $*" >&2; return 1; }
    e=$(date +%s%N)
    times+=($(((e - s) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" '{ a[NR] = $1 } END { printf "median %.1f ms, p90 %.1f ms (%d runs)", a[int((n + 1) / 2)] / 1000, a[int(n * 0.9)] / 1000, n }'
}
