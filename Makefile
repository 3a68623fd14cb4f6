# forge — developer and CI entry points. `make` (or `make help`) lists the targets.
#
# Tools are pinned in separate Go modules and run with `go tool -modfile=...`,
# so everyone (and CI) uses exactly the same versions; the first run builds a
# tool into the Go build cache, later runs start it at once.
#   tools/go.mod             golangci-lint v2, benchstat
#   tools/goreleaser/go.mod  goreleaser v2 (own module: its large dependency
#                            graph must not move the linter's dependencies)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO ?= go
BIN ?= bin/forge

GOLANGCI_LINT := $(GO) tool -modfile=tools/go.mod golangci-lint
BENCHSTAT     := $(GO) tool -modfile=tools/go.mod benchstat
GORELEASER    := $(GO) tool -modfile=tools/goreleaser/go.mod goreleaser

# Benchmarks: make bench [BENCH=regexp] [BENCHCOUNT=n] [PKGS=./...]
BENCH      ?= .
BENCHCOUNT ?= 1
PKGS       ?= ./...
# Fuzz smoke: make fuzz [FUZZTIME=10s] [PKGS=./...]
FUZZTIME   ?= 10s

.PHONY: help build test deps lint vet fmt generate drift release-check check \
        demo bench benchstat fuzz tools clean

help: ## list the targets
	@echo 'usage: make <target> [VAR=value ...]'
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo 'variables: FUZZTIME=$(FUZZTIME) BENCH=$(BENCH) BENCHCOUNT=$(BENCHCOUNT) PKGS=$(PKGS) OLD= NEW= (benchstat)'

build: ## build the CLI into bin/forge
	$(GO) build -o $(BIN) ./cmd/forge

test: deps ## run the whole test suite (the README's test command; installs the npm test servers first)
	$(GO) test -count=1 ./...

# npm ci rewrites node_modules/.package-lock.json last: when it is newer than
# package-lock.json (and package.json), the install is current and deps does
# nothing, so `make deps` followed by `make test` (as in .ci/run) installs
# once. DEPS_FORCE=1 reinstalls anyway.
MCP_SERVERS := testdata/mcp-servers

deps: ## install what tests need beyond Go modules (npm MCP test servers; skipped when current)
	@lock=$(MCP_SERVERS)/package-lock.json; stamp=$(MCP_SERVERS)/node_modules/.package-lock.json; \
	if [ ! -f "$$lock" ]; then \
		echo 'deps: no $(MCP_SERVERS)/package-lock.json, nothing to install'; \
	elif [ -z "$${DEPS_FORCE:-}" ] && [ "$$stamp" -nt "$$lock" ] && [ "$$stamp" -nt $(MCP_SERVERS)/package.json ]; then \
		echo "deps: $(MCP_SERVERS)/node_modules is up to date (DEPS_FORCE=1 to reinstall)"; \
	else \
		command -v npm >/dev/null || { echo 'deps: npm not found (install Node.js and npm)' >&2; exit 1; }; \
		echo 'npm ci --prefix $(MCP_SERVERS)'; \
		npm ci --prefix $(MCP_SERVERS) --no-audit --no-fund; \
	fi

lint: ## run golangci-lint (linters + gofumpt/goimports check)
	$(GOLANGCI_LINT) run ./...

vet: ## run go vet
	$(GO) vet ./...

fmt: ## format the code (gofumpt + goimports, local prefix github.com/forgehq/forge)
	$(GOLANGCI_LINT) fmt

generate: ## regenerate docs/cli and completions/ (forge gen-docs)
	$(GO) run ./cmd/forge gen-docs

drift: generate ## fail if generated docs/cli or completions/ differ from the commit
	git diff --exit-code -- docs/cli completions
	@untracked="$$(git ls-files --others --exclude-standard -- docs/cli completions)"; \
	if [ -n "$$untracked" ]; then \
		echo 'drift: generated files not committed:' >&2; echo "$$untracked" >&2; exit 1; \
	fi

release-check: ## validate goreleaser.yaml (goreleaser check)
	$(GORELEASER) check -f goreleaser.yaml

check: vet lint test release-check ## vet, lint, test and release-check

demo: ## run the scripted demo (scripts/demo.sh)
	bash ./scripts/demo.sh

bench: ## run benchmarks: go test -run '^$' -bench $(BENCH) -benchmem -count $(BENCHCOUNT) $(PKGS)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(BENCHCOUNT) $(PKGS)

benchstat: ## compare two benchmark outputs: make benchstat OLD=old.txt NEW=new.txt
	@[ -n "$(OLD)" ] && [ -n "$(NEW)" ] || { echo 'usage: make benchstat OLD=old.txt NEW=new.txt' >&2; exit 2; }
	$(BENCHSTAT) $(OLD) $(NEW)

fuzz: ## fuzz smoke: run every Fuzz target in $(PKGS) for FUZZTIME each
	@targets="$$($(GO) test -list '^Fuzz' $(PKGS) | \
		awk '/^Fuzz/ {n[c++] = $$1; next} /^ok[ \t]/ {for (i = 0; i < c; i++) print $$2 " " n[i]; c = 0}')"; \
	if [ -z "$$targets" ]; then echo 'fuzz: no Fuzz targets found'; exit 0; fi; \
	echo "$$targets" | while read -r pkg name; do \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" </dev/null; \
	done

tools: ## build the pinned tools once (warms the build cache)
	$(GOLANGCI_LINT) version
	$(GORELEASER) --version
	$(BENCHSTAT) -h 2>&1 | head -n 1 || true

clean: ## remove build outputs (bin/, dist/)
	rm -rf bin dist
