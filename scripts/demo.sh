#!/usr/bin/env bash
# The README demo: Forge's main job end to end on embedded defaults, with no
# external service. It builds forge, creates a project in a temporary
# directory, imports an OpenAPI description, a GraphQL schema and an MCP
# server (a small Go server built here), lists and searches the registry,
# shows drift detection catching a changed tool description, then scaffolds,
# builds and validates an extension, and validates one with findings.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/forge-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin="$work/bin"
mkdir -p "$bin"

if [ -t 1 ]; then bold=$'\033[1m' off=$'\033[0m'; else bold='' off=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Build forge and a sample MCP server"
(cd "$root" && go build -o "$bin/forge" ./cmd/forge && go build -o "$bin/notes-mcp" ./internal/demo/notesmcp)
export PATH="$bin:$PATH"
cp "$root/testdata/sample/billing.openapi.yaml" "$root/testdata/sample/crm.graphql" "$work/"
cd "$work"

step "Create a project"
run forge init project
cd project
mkdir -p specs && mv ../billing.openapi.yaml ../crm.graphql specs/

step "Import sources: OpenAPI, GraphQL and an MCP server over stdio"
run forge source add billing --openapi specs/billing.openapi.yaml
run forge source add crm --graphql specs/crm.graphql
run forge source add notes --mcp-command notes-mcp
run forge source list

step "Browse the registry"
run forge capability list --effect destructive
run forge capability search invoice
run forge capability show billing.createInvoice

step "CI drift check: nothing changed"
run forge source sync --check

step "CI drift check: the MCP server changed a tool's description (a rug pull)"
export NOTES_MCP_RENAMED_DELETE=1
set +e
forge source sync --check
code=$?
set -e
printf '(exit status %d: CI fails here)\n' "$code"
if [ "$code" -ne 1 ]; then
  echo "demo: expected drift to be detected" >&2
  exit 1
fi
run forge source diff notes
unset NOTES_MCP_RENAMED_DELETE

step "Write an extension: scaffold, test, build, validate"
run forge ext new daily-report --description "Report the API status every morning"
(cd extensions/daily-report && run go test ./...)
run forge build extensions/daily-report
run forge validate dist/daily-report-0.1.0

step "An extension that asks for more than it may: validate refuses it"
mkdir -p extensions/greedy
cat > extensions/greedy/extension.yaml <<'YAML'
apiVersion: forge.dev/v1
name: greedy
version: 1.0.0
description: Wants too much.
module:
  go: .
triggers:
  - name: often
    schedule: {cron: "* * * * *"}
secrets:
  - name: BILLING_TOKEN
    hosts: [billing.example.com]
egress:
  - https://169.254.169.254/latest/
  - http://hooks.example.com/
capabilities:
  - id: billing.listInvoice
    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
YAML
set +e
forge validate extensions/greedy
code=$?
set -e
printf '(exit status %d: CI fails here)\n' "$code"
if [ "$code" -ne 1 ]; then
  echo "demo: expected findings" >&2
  exit 1
fi
run forge validate extensions/greedy --format github || true

step "Run an extension in the sandbox, with production limits"
# status-report calls the billing API (answered from a recording: no
# network needed) and tries the cloud metadata service, which is blocked.
# It uses the SDK vendored by forge ext new above, like any extension.
cp -r "$root/testdata/demo/status-report" extensions/
cp -r extensions/daily-report/.forge extensions/daily-report/go.mod extensions/status-report/
sed -i 's|example.com/extensions/daily-report|example.com/extensions/status-report|' extensions/status-report/go.mod
run forge run extensions/status-report --trigger daily --secret BILLING_TOKEN=tok-demo-123 \
  --replay extensions/status-report/status.recording.json --state-dir .forge/state
run forge run extensions/status-report --trigger daily --secret BILLING_TOKEN=tok-demo-123 \
  --replay extensions/status-report/status.recording.json --state-dir .forge/state -o json

step "Run the control plane: push, approve from the command line, verify the audit chain"
# A throw-away server on a temporary data directory (SQLite, generated
# master key), and credentials kept in the demo's own config directory.
export XDG_CONFIG_HOME="$work/config"
forge server --addr 127.0.0.1:0 --data-dir "$work/server" 2> "$work/server.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do
  grep -q '"server listening"' "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.05
done
url="http://$(sed -n 's/.*"server listening".*"addr":"\([^"]*\)".*/\1/p' "$work/server.log")"
admin=$(grep -o 'adm_[a-z2-7]*' "$work/server.log" | head -n 1)
echo "server at $url (the admin credential was printed once, on first start)"
printf '%s\n' "$admin" | forge login --server "$url" --credential-stdin
created=$(forge workspace create acme -o json 2>/dev/null)
key=$(printf '%s' "$created" | sed -n 's/.*"apiKey": "\([^"]*\)".*/\1/p')
printf '%s\n' "$key" | forge login --server "$url" --credential-stdin
run forge subject create cus_42 --display-name "Acme Ltd"
run forge registry push
run forge ext push dist/daily-report-0.1.0 --subject cus_42
run forge ext list --subject cus_42
run forge ext approve daily-report 1 --subject cus_42
printf 'tok-demo-123' | forge secret set daily-report API_TOKEN --subject cus_42
run forge secret list daily-report --subject cus_42
run forge audit list
run forge audit verify

printf '\nDemo finished: the registry is pinned, drift is caught, extensions are built, checked, run in the sandbox, pushed, approved and audited.\n'
