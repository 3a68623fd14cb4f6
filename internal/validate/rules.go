package validate

import (
	"slices"
	"strings"

	"github.com/forgehq/forge/internal/manifest"
)

// Diagnostic is one finding. It is the manifest package's type, so that
// parse findings and validation findings are reported alike.
type Diagnostic = manifest.Diagnostic

// Severity is how bad a finding is: manifest.SeverityError or
// manifest.SeverityWarning.
type Severity = manifest.Severity

// Severities, for convenience.
const (
	SeverityError   = manifest.SeverityError
	SeverityWarning = manifest.SeverityWarning
)

// Rule ids of the checks of this package. They are stable: CI
// configurations, SARIF consumers and docs/rules.md refer to them. The
// manifest/* rules of internal/manifest are reported too (see Rules).
const (
	RuleUnknownCapability = "registry/unknown-capability"
	RuleDigestMismatch    = "registry/digest-mismatch"
	RuleRegistryError     = "registry/unreadable"

	RuleInputUnreadable = "input/unreadable"

	RuleModuleUnreadable  = "module/unreadable"
	RuleModuleTooLarge    = "module/too-large"
	RuleForbiddenImport   = "module/forbidden-import"
	RuleUnknownImport     = "module/unknown-import"
	RuleImportSignature   = "module/import-signature"
	RuleMissingExport     = "module/missing-export"
	RuleABIExport         = "module/abi-export"
	RuleUndeclaredTrigger = "module/undeclared-trigger"

	RuleIPLiteral   = "egress/ip-literal"
	RulePrivateHost = "egress/private-host"
	RulePlainHTTP   = "egress/plain-http"

	RuleSecretUnbound       = "secret/unbound"
	RuleSecretHostNotEgress = "secret/host-not-in-egress"

	RuleTooFrequent     = "trigger/too-frequent"
	RuleUndeclaredEvent = "trigger/undeclared-event"

	RuleAboveMaximum = "limits/above-maximum"

	RuleNewCapability   = "escalation/new-capability"
	RuleNewEgress       = "escalation/new-egress"
	RuleNewSecret       = "escalation/new-secret"
	RuleNewSecretHost   = "escalation/new-secret-host"
	RuleNewTrigger      = "escalation/new-trigger"
	RuleTighterSchedule = "escalation/tighter-schedule"
	RuleRaisedLimit     = "escalation/raised-limit"
)

// DocsURL is the page documenting every rule; HelpURI appends the rule's
// anchor.
const DocsURL = "https://github.com/forgehq/forge/blob/main/docs/rules.md"

// RuleInfo describes one rule.
type RuleInfo struct {
	ID string `json:"id"`
	// Severity is the rule's default severity. egress/plain-http is a
	// warning by default and an error under Policy.Strict.
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
}

// Anchor returns the fragment of the rule's section in docs/rules.md: the
// GitHub heading anchor of "`area/name`", which is "areaname".
func Anchor(id string) string { return strings.ReplaceAll(id, "/", "") }

// HelpURI returns the address of the rule's documentation.
func HelpURI(id string) string { return DocsURL + "#" + Anchor(id) }

var rules = []RuleInfo{
	{RuleUnknownCapability, SeverityError, "a capability the extension used is not in the registry (the message suggests close ids)"},
	{RuleDigestMismatch, SeverityError, "a capability's recorded digest differs from the registry's pin: the capability changed since the build"},
	{RuleRegistryError, SeverityError, "the registry could not be read while looking up a capability"},
	{RuleInputUnreadable, SeverityError, "the path given is missing, is not an extension, or is a bundle that does not match its digests"},

	{RuleModuleUnreadable, SeverityError, "the module is not a readable WebAssembly binary (the message gives the byte offset)"},
	{RuleModuleTooLarge, SeverityError, "the module is larger than the maximum module size of forge.yaml"},
	{RuleForbiddenImport, SeverityError, "the module imports a WASI function outside the Forge ABI: file system, sockets, process control"},
	{RuleUnknownImport, SeverityError, "the module imports from a module other than forge and wasi_snapshot_preview1, or a forge function the ABI does not define"},
	{RuleImportSignature, SeverityError, "an allowed import has the wrong signature or is not imported as a function"},
	{RuleMissingExport, SeverityError, "a trigger of the manifest has no forge_on_<trigger> export of type () -> i32"},
	{RuleABIExport, SeverityError, "memory, _initialize or forge_abi_version missing or mistyped, a _start export, or another misuse of the forge_ export namespace"},
	{RuleUndeclaredTrigger, SeverityWarning, "the module exports a trigger handler for a trigger the manifest does not declare"},

	{RuleIPLiteral, SeverityError, "an egress destination is a public IP literal instead of a host name"},
	{RulePrivateHost, SeverityError, "an egress destination is loopback, private, link-local or metadata: localhost, *.local, *.internal, a single-label name or such an IP"},
	{RulePlainHTTP, SeverityWarning, "an egress destination uses plain http (an error with --strict)"},

	{RuleSecretUnbound, SeverityError, "a secret is bound to no host, so it could never be sent anywhere"},
	{RuleSecretHostNotEgress, SeverityError, "a secret is bound to a host that no egress entry allows"},

	{RuleTooFrequent, SeverityError, "a schedule fires more often than the minimum schedule interval of forge.yaml"},
	{RuleUndeclaredEvent, SeverityError, "an event trigger's type is not declared in forge.yaml"},

	{RuleAboveMaximum, SeverityError, "a limit (memory, timeout, httpCalls) is above the maximum of forge.yaml"},

	{RuleNewCapability, SeverityWarning, "escalation: a capability the approved baseline did not use"},
	{RuleNewEgress, SeverityWarning, "escalation: an egress destination the approved baseline did not allow"},
	{RuleNewSecret, SeverityWarning, "escalation: a secret the approved baseline did not declare"},
	{RuleNewSecretHost, SeverityWarning, "escalation: a secret may be sent to a host the approved baseline did not bind it to"},
	{RuleNewTrigger, SeverityWarning, "escalation: a trigger the approved baseline did not have, or whose kind or event changed"},
	{RuleTighterSchedule, SeverityWarning, "escalation: a schedule fires more often than in the approved baseline"},
	{RuleRaisedLimit, SeverityWarning, "escalation: a limit is higher than in the approved baseline"},
}

var allRules = func() []RuleInfo {
	var out []RuleInfo
	for _, r := range manifest.Rules() {
		out = append(out, RuleInfo{ID: r.ID, Severity: r.Severity, Summary: r.Summary})
	}
	return append(out, rules...)
}()

var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(allRules))
	for i, r := range allRules {
		m[r.ID] = i
	}
	return m
}()

// Rules returns every rule a validation may report — the manifest/* rules
// of internal/manifest first, then this package's — in a stable order.
func Rules() []RuleInfo { return slices.Clone(allRules) }

// LookupRule returns the rule with the given id.
func LookupRule(id string) (RuleInfo, bool) {
	i, ok := ruleIndex[id]
	if !ok {
		return RuleInfo{}, false
	}
	return allRules[i], true
}
