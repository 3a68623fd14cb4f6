#!/usr/bin/env bash
# Looking up one capability by id from a fresh process, with every
# ../shared/corpus source imported. Target: median <= 20 ms.
# Usage: bench/lookup.sh [RUNS]   (default 30; KEEP=1 keeps the project)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-30}
corpus_project
cd "$proj"
for src in openapi1 openapi2 saleor; do
  id=$("$forge" capability list --source "$src" -o json | grep '"id":' | awk 'NR == 300 || NR == 1' | tail -n 1 | sed 's/.*"id": "\(.*\)",/\1/')
  t=$(time_runs "$runs" "$forge" capability show "$id" -o json)
  echo "forge capability show $id -o json: $t"
done
t=$(time_runs "$runs" "$forge" version)
echo "forge version (process start alone): $t"
