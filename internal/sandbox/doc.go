// Package sandbox runs Forge extensions: WebAssembly modules that implement
// the guest side of docs/abi.md, on wazero.
//
// A Runtime owns a wazero runtime (the compiler where the platform has
// one; a second one, with close-on-context-done, for modules the timeout
// instrumentation cannot use, see docs/sandbox.md), an on-disk compilation
// cache (os.UserCacheDir()/forge/wazero by
// default) and the two host modules a guest may import: forge (log,
// input/output and the result buffer, secrets, config, state, outbound
// HTTP, clock, random) and the small wasi_snapshot_preview1 subset a Go
// wasip1 reactor needs (no preopened directories, no environment, args =
// [extension name], stdout/stderr to the log).
//
//	r, err := sandbox.New(ctx, sandbox.Config{})
//	m, err := r.Compile(ctx, wasmBytes) // *ImportError names each forbidden import
//	res, err := m.Invoke(ctx, sandbox.Invocation{
//		Namespace: sandbox.LocalNamespace("weekly-report"),
//		Trigger:   "weekly",
//		Limits:    limits, // sandbox.LimitsFor(manifest.Limits, maxima)
//		Secrets:   secrets,
//		State:     state,
//		HTTP:      guard, // the egress guard; nil denies every request
//	})
//
// Compile checks the module's imports and exports against the ABI before
// anything is instantiated. Invoke runs one trigger handler under Limits
// (the one definition shared by `forge run`, `forge dev` and the server):
// memory, wall time (a guest in a tight loop or blocked in a host call is
// stopped), HTTP calls, log, response, output and state sizes. Going over a
// limit is a *LimitError naming it; a trap is a *TrapError; a handler that
// returns non-zero is Result.Failed with its message as Output.
//
// Every host function works on the invocation's namespace only: a guest
// passes names and keys, never a namespace, so another namespace's secrets
// and state cannot be named. Instances may be reused by later invocations
// of the same namespace (Config.MaxIdlePerNamespace), never across
// namespaces, and never after an invocation that trapped or hit a limit.
//
// See docs/sandbox.md for what an extension can and cannot do, the limits
// and their defaults, and the timeout enforcement chosen and its cost.
package sandbox
