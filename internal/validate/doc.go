// Package validate runs the build-time checks of `forge validate` on
// extensions and writes the findings in the formats CI systems read.
//
// Every check is a rule with a stable id ("area/name"), a default
// severity, a message, the manifest's file:line:col and a fix hint; Rules
// lists them all, the manifest/* rules of internal/manifest included, and
// docs/rules.md documents each one under the anchor HelpURI points to.
//
// Check takes its inputs as plain values, so that it depends neither on
// forge.yaml nor on the CLI: the parsed manifest and its parse findings,
// the module's bytes, the approved baseline manifest, a Registry (RegistryOf
// adapts the capability registry) and a Policy (what forge.yaml allows):
//
//	m, diags, err := manifest.Load("extension.yaml")
//	if err != nil {
//		return err // not a readable manifest: exit 2
//	}
//	ds := validate.Check(validate.Extension{
//		ManifestPath:  "extension.yaml",
//		Manifest:      m,
//		ManifestDiags: diags,
//		ModulePath:    "extension.wasm",
//		Module:        wasmBytes, // nil when not built
//	}, validate.RegistryOf(reg), validate.DefaultPolicy())
//	err = validate.Write(os.Stdout, "sarif", []validate.Result{{Extension: m.Name, Path: "extension.yaml", Diagnostics: ds}})
//	failed := validate.FailOn(ds, "error")
//
// Check never prints and never fails: unreadable input is itself a finding
// (module/unreadable, registry/unreadable), which Unreadable detects so
// that the CLI can exit with the input-error code.
//
// # Rules
//
//   - manifest/*: passed through from manifest.Parse (unknown fields, wrong
//     types, missing fields, invalid egress patterns and bare wildcards,
//     invalid cron expressions, ...).
//   - registry/*: capabilities that are not in the registry (with
//     suggestions), or whose recorded digest differs from the pin.
//   - module/*: imports outside docs/abi.md (WASI file system or sockets,
//     unknown modules, wrong signatures), missing trigger or ABI exports,
//     a module over the size limit or not readable at all. Module findings
//     point at the manifest's module line and name the module and the
//     import; a missing trigger handler points at the trigger.
//   - egress/*: IP literals, private or loopback hosts, plain http (a
//     warning; an error under Policy.Strict).
//   - secret/*: secrets bound to no host, or to a host no egress entry
//     allows.
//   - trigger/*, limits/*: schedules firing more often than the minimum
//     interval, undeclared event types, limits above the maxima.
//   - escalation/*: with a baseline, everything the new version may do
//     that the approved one could not. These are warnings, so that CI gates
//     on them with --fail-on warning.
//
// # Formats
//
// Write writes text (file:line:col: severity: message [rule], a hint line
// and a summary), json (versioned: {"version":1,"results":[...],
// "summary":{...}}), sarif (2.1.0, one run), junit (one testsuite per
// extension, one testcase per rule) and github (workflow-command
// annotations).
package validate
