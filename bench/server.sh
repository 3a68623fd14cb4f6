#!/usr/bin/env bash
# Load on `forge server` over loopback (127.0.0.1):
#   1. an authenticated GET of a subject's extensions list (50 approved
#      extensions) at a fixed concurrency, with wrk (GET_TOOL=loadgen uses
#      bench/loadgen instead, which costs the shared cores about 4x more CPU
#      a request). Target: >= 5,000 requests/s with p99 <= 10 ms on SQLite.
#   2. push + approve round trips (push a version, approve it) per second,
#      with bench/loadgen.
# Both on SQLite, then on PostgreSQL when BENCH_POSTGRES_DSN or
# FORGE_TEST_POSTGRES_DSN is set (in a fresh schema, dropped at the end).
#
# Usage: bench/server.sh
#   env: GET_C=16 GET_TOOL=wrk|loadgen PUSH_C=4 DURATION=10s SEED=50 KEEP=1
# Prints one summary line per benchmark and benchstat lines
# (BenchmarkServerListExtensions/<db>, BenchmarkServerPushApprove/<db>).
# The server and the load generator share the machine's cores.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
get_c=${GET_C:-16}
get_tool=${GET_TOOL:-wrk}
push_c=${PUSH_C:-4}
duration=${DURATION:-10s}
seed=${SEED:-50}
pg_dsn=${BENCH_POSTGRES_DSN:-${FORGE_TEST_POSTGRES_DSN:-}}
fixtures="$root/bench/loadgen/testdata"

case $get_tool in
  wrk | loadgen) ;;
  *) echo "server.sh: GET_TOOL must be wrk or loadgen, not $get_tool" >&2; exit 2 ;;
esac
for tool in curl jq $([ "$get_tool" = wrk ] && echo wrk); do
  command -v "$tool" >/dev/null || {
    echo "server.sh: $tool is required${tool:+ (Debian: apt-get install $tool)}" >&2
    exit 2
  }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/forge-bench-server.XXXXXX")
server_pid=""
pg_schema=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_schema" ]; then
    psql "$pg_dsn" -qAt -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 || true
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$root" && go build -o "$work/forge" ./cmd/forge && go build -o "$work/loadgen" ./bench/loadgen)

# start_server NAME [--database DSN]: starts forge server on 127.0.0.1:0 and
# sets base (its URL) and admin (the first-start credential).
start_server() {
  local name=$1
  shift
  local log="$work/$name.log"
  "$work/forge" server --addr 127.0.0.1:0 --data-dir "$work/$name" "$@" 2>"$log" &
  server_pid=$!
  local addr="" i
  for i in $(seq 300); do # up to 30 s
    addr=$(grep -m1 '"msg":"server listening"' "$log" | jq -r .addr 2>/dev/null || true)
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "server.sh: the server exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "server.sh: the server did not listen within 30 s" >&2; exit 1; }
  base="http://$addr"
  admin=$(grep -o -m1 'adm_[a-z2-7]\{52\}' "$log")
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# api METHOD PATH CRED [JSON-BODY|@FILE]: prints the answer; fails on >= 400.
api() {
  local args=(-sS --fail-with-body -X "$1" -H "Authorization: Bearer $3")
  if [ $# -ge 4 ]; then args+=(-H 'Content-Type: application/json' --data-binary "$4"); fi
  curl "${args[@]}" "$base$2"
}

# get_wrk NAME URL CRED: the GET benchmark with wrk (one thread, GET_C
# connections); prints a summary and a benchstat line like loadgen's.
get_wrk() {
  local name=$1 url=$2 cred=$3 out
  out=$(wrk -t1 -c"$get_c" -d"$duration" --latency -H "Authorization: Bearer $cred" "$url")
  awk -v name="$name" -v c="$get_c" '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /s$/) return v * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "90%" { p90 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Latency" && NF >= 4 && max == "" { max = ms($4) }
    / requests in / { n = $1; secs = $4; sub(/s,$/, "", secs) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /^  Socket errors:/ { for (i = 4; i <= NF; i += 2) { v = $i; sub(/,$/, "", v); bad += v } }
    END {
      if (rps == "" || p99 == "") { print "server.sh: cannot read the output of wrk" > "/dev/stderr"; exit 1 }
      printf "get c=%d (wrk): %d requests in %.2fs = %.0f/s, p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms, %d errors\n", c, n, secs, rps, p50, p90, p99, max, bad
      printf "Benchmark%s %d %.0f ns/op %.3f p50-ms %.3f p99-ms %.1f ops/s\n", name, n, 1e9 / rps, p50, p99, rps
      if (bad > 0) exit 1
    }' <<<"$out" || { echo "$out" >&2; exit 1; }
}

# bench_db NAME [--database DSN]
bench_db() {
  local name=$1
  start_server "$@"
  local ws key bench_key subject=cus_bench token
  ws=$(api POST /v1/workspaces "$admin" '{"name":"bench"}')
  key=$(jq -r .apiKey <<<"$ws")
  ws=$(jq -r .workspace.id <<<"$ws")
  local wsp="/v1/workspaces/$ws"
  bench_key=$(api POST "$wsp/keys" "$key" '{"name":"bench"}' | jq -r .apiKey)
  api POST "$wsp/subjects" "$key" "{\"id\":\"$subject\",\"displayName\":\"Bench\"}" >/dev/null
  api PUT "$wsp/registry" "$key" "@$fixtures/registry.json" >/dev/null
  api PUT "$wsp/events" "$key" '{"types":["invoice.created"]}' >/dev/null
  token=$(api POST "$wsp/tokens" "$key" "{\"subject\":\"$subject\",\"permissions\":[\"build\",\"read\"]}" | jq -r .buildToken)
  local lg=("$work/loadgen" -url "$base" -token "$token" -key "$bench_key" -ws "$ws" -subject "$subject" -bundle-body "$fixtures/bundle.json")
  "${lg[@]}" -mode seed -n "$seed" -c 4 -d 60s -prefix list >/dev/null
  local n
  n=$(api GET "$wsp/subjects/$subject/extensions" "$bench_key" | jq '[.extensions[] | select(.currentState == "active")] | length')
  echo "== $name: $n active extensions in the list"
  local list_url="$base$wsp/subjects/$subject/extensions"
  if [ "$get_tool" = wrk ]; then
    get_wrk "ServerListExtensions/$name" "$list_url" "$bench_key"
  else
    "$work/loadgen" -url "$list_url" -token "$bench_key" -c "$get_c" -d "$duration" -bench "ServerListExtensions/$name"
  fi
  "${lg[@]}" -mode push-approve -c "$push_c" -d "$duration" -prefix rt -bench "ServerPushApprove/$name"
  stop_server
}

bench_db sqlite

if [ -n "$pg_dsn" ]; then
  command -v psql >/dev/null || { echo "server.sh: psql is required for PostgreSQL" >&2; exit 2; }
  pg_schema="forge_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql "$pg_dsn" -qAt -c "CREATE SCHEMA $pg_schema" >/dev/null
  case $pg_dsn in
    *\?*) dsn="$pg_dsn&search_path=$pg_schema" ;;
    *) dsn="$pg_dsn?search_path=$pg_schema" ;;
  esac
  bench_db postgres --database "$dsn"
else
  echo "== postgres: skipped (set BENCH_POSTGRES_DSN or FORGE_TEST_POSTGRES_DSN)"
fi
