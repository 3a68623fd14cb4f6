// Package server is the HTTP API of `forge server`, the control plane of
// Forge: workspaces, API keys, signing secrets, event types, the capability
// registry, subjects, build tokens, extensions and their approval
// lifecycle, namespace secrets and config, and the audit log.
//
//	srv := server.New(server.Deps{Store: st, MasterKey: mk, Logger: logger})
//	err := srv.Run(ctx, ln) // until ctx is done, then a graceful shutdown
//
// *Server is an http.Handler too, for httptest.
//
// # The OpenAPI document drives the routes
//
// openapi.yaml (OpenAPI 3.1, served as JSON at GET /v1/openapi.json) is the
// single description of the API. New registers one route per operation of
// the document and refuses to start when an operation has no handler or a
// handler no operation. Every request goes through the same pipeline:
//
//  1. authenticate the bearer credential with one store look-up (no cache,
//     so revocation and expiry apply to the next request: invariant 6);
//  2. scope: a {ws} outside the credential's workspace, or a {subject}
//     other than a build token's own, is 404, exactly like a missing
//     resource (invariant 1);
//  3. permission, from the operation's x-forge-permission: public, any
//     (any valid credential: GET /v1/whoami, which takes no parameters and
//     describes only the caller), admin, key (a workspace API key only:
//     approve, reject, enable, disable, rollback, keys, tokens, subjects,
//     events, registry push, audit), or the build-token permission read,
//     build or manage (secrets and config); a missing one is 403;
//  4. body: application/json only (415), capped (413; the operation's
//     x-forge-max-body or Deps.MaxBodyBytes), well-formed JSON (400);
//  5. validation against the document with kin-openapi's openapi3filter:
//     types, patterns, sizes, unknown fields (400, with a list of
//     {location, message} built from the schema only, never from the
//     value, since values may be secrets);
//  6. the handler.
//
// Errors are RFC 9457 problem details (application/problem+json). Bad
// input is always a 4xx; a 5xx says nothing but "internal error" and the
// log has the cause.
//
// # State changes
//
// Every state change runs in one store transaction together with its audit
// record (package audit), so neither is ever committed without the other
// (invariant 5). The audit actor is the credential's kind and store id
// ("api-key:<id>"), never the credential. Pushed extensions are validated
// again (package validate) against the workspace's pushed registry and
// event types and land in pending_approval; only a workspace API key can
// approve them.
//
// # Secrets
//
// Namespace secrets and signing secrets are sealed with the workspace's
// data key (package vault; AES-256-GCM, bound to namespace and name); the
// data key is stored wrapped by the master key. Secret values are write-only:
// they are never returned, logged, audited or quoted in errors
// (invariant 7). API keys, build tokens and the admin credential are stored
// as hashes and shown once.
package server
