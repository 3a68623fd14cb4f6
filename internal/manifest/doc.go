// Package manifest is the model of an extension manifest (extension.yaml),
// its parser with source positions, and its JSON Schema.
//
// An extension is a small program an AI agent writes for one customer of a
// host; its manifest declares everything it may do. Nothing undeclared is
// allowed: validation (internal/validate) checks the manifest against the
// registry and forge.yaml, and the sandbox enforces it at run time. This
// package knows nothing about either: it turns bytes into a Manifest whose
// every value carries its Pos, and reports what is wrong with the manifest
// on its own terms as Diagnostics with file:line:col.
//
// # Format
//
//	# yaml-language-server: $schema=https://forge.dev/schemas/extension.schema.json
//	apiVersion: forge.dev/v1      # required; the only version
//	name: invoice-digest          # required; ^[a-z][a-z0-9-]{0,62}$
//	version: 1.2.0                # required; semantic version
//	description: Every Monday, post my open invoices to Slack.   # shown at review
//	module:                       # required; exactly one of go / wasm
//	  go: .                       # a Go source directory, relative to this file
//	  # wasm: build/ext.wasm      # or a prebuilt module (any language)
//	triggers:
//	  - name: weekly              # ^[a-z][a-z0-9_]{0,62}$, unique; module exports forge_on_weekly
//	    schedule:
//	      cron: "0 9 * * MON"     # 5-field cron or @yearly/@monthly/@weekly/@daily/@hourly
//	      timezone: Europe/Paris  # IANA name; default UTC
//	  - name: invoice_created
//	    event:
//	      type: invoice.created   # must be declared in forge.yaml (checked by validate)
//	secrets:
//	  - name: SLACK_TOKEN         # ^[A-Z][A-Z0-9_]{0,63}$, unique
//	    description: Slack bot token
//	    hosts: [slack.com]        # the only hosts this secret may be sent to
//	egress:
//	  - https://slack.com/api/    # scheme://host[:port][/path-prefix]
//	  - {scheme: https, host: "*.billing.example.com", port: 443, pathPrefix: /v1/}
//	config:
//	  - name: channel             # ^[a-z][a-zA-Z0-9_]{0,62}$, unique
//	    type: string              # string | int | number | bool
//	    default: "#finance"       # optional; must have the field's type
//	    description: Where to post
//	capabilities:                 # registry capabilities used at build time
//	  - id: billing.listInvoices  # SOURCE.NAME
//	    digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	limits:                       # optional; forge.yaml gives defaults and maximums
//	  memory: 32MiB               # B, KiB, MiB, GiB, or an integer of bytes
//	  timeout: 10s                # Go duration, positive
//	  httpCalls: 20               # outbound requests per invocation, >= 0
//
// Fields:
//
//   - apiVersion (string, required): forge.dev/v1.
//   - name (string, required): the extension's name.
//   - version (string, required): MAJOR.MINOR.PATCH[-pre][+build].
//   - description (string): what the extension does; missing is a warning.
//   - module (mapping, required): go, a Go source directory, or wasm, a .wasm
//     file; slash-separated, relative to the manifest, not escaping its
//     directory.
//   - triggers (list): name plus exactly one of schedule {cron, timezone} or
//     event {type}. No triggers is a warning: the extension could never run.
//   - secrets (list): name, description, hosts (host names, "*." wildcards or
//     IP literals the secret may be sent to).
//   - egress (list): outbound HTTP destinations; see Egress for the rules.
//   - config (list): name, type, default, description.
//   - capabilities (list): id and digest of each capability used at build
//     time.
//   - limits (mapping): memory, timeout, httpCalls.
//
// YAML anchors, aliases and merge keys ("<<: *base") are allowed; alias
// cycles and expansions adding more than 10,000 nodes are not.
//
// # Parsing
//
// Parse returns a *ParseError only when the input is not a readable YAML
// mapping at all: larger than MaxSize (1 MiB), not UTF-8 text, a YAML syntax
// error, empty, not a mapping, or excessively aliased. Everything else is a
// Diagnostic on a Manifest that holds whatever did parse; Rules lists the
// rule ids. Load reads a file first and refuses directories and oversized
// files without reading them.
//
// # Cron
//
// See Cron for the syntax and the DST semantics. Cron.MinInterval is the
// smallest gap between two firings, for comparison with forge.yaml's
// minimum schedule interval.
//
// # JSON Schema
//
// JSONSchema returns the draft 2020-12 schema, also published as
// docs/extension.schema.json for editors (yaml-language-server). The schema
// is a subset of what Parse checks.
package manifest
