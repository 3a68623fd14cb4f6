#!/usr/bin/env bash
# forge validate against a registry holding every ../shared/corpus source:
# one extension (target: median whole-process time <= 50 ms) and 100
# extensions in one run (target: <= 1 s). Each extension pins real
# capabilities by digest and declares triggers, secrets and egress.
# Usage: bench/validate.sh [RUNS]   (default 20)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${1:-20}
corpus_project
cd "$proj"
pin() { "$forge" capability show "$1" -o json | grep '"digest"' | tail -n 1 | sed 's/.*"digest": "\(.*\)".*/\1/'; }
ids=$("$forge" capability list -o json | grep '"id":' | sed 's/.*"id": "\(.*\)",/\1/' | awk 'NR % 400 == 7' | head -n 6)
caps=""
for id in $ids; do caps+="  - id: $id"$'\n'"    digest: $(pin "$id")"$'\n'; done
mkdir -p extensions
for i in $(seq 100); do
  d=extensions/ext$i
  mkdir -p "$d"
  cat > "$d/extension.yaml" <<YAML
apiVersion: forge.dev/v1
name: ext$i
version: 1.0.$i
description: Benchmark extension $i.
module:
  go: .
triggers:
  - name: weekly
    schedule: {cron: "0 9 * * MON", timezone: Europe/Paris}
secrets:
  - name: SLACK_TOKEN
    hosts: [slack.com]
egress:
  - https://slack.com/api/
  - https://api.github.com/
config:
  - {name: channel, type: string, default: "#finance"}
capabilities:
$caps
limits: {memory: 32MiB, timeout: 10s, httpCalls: 20}
YAML
done
"$forge" validate extensions/ext1
t=$(time_runs "$runs" "$forge" validate extensions/ext1)
echo "forge validate (1 extension, $(echo "$ids" | wc -l) pinned capabilities): $t"
t=$(time_runs 5 "$forge" validate)
echo "forge validate (100 extensions in one run): $t"
t=$(time_runs "$runs" "$forge" version)
echo "forge version (process start alone): $t"
