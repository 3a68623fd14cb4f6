package manifest

// Severity is how bad a finding is.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Rule ids of the findings Parse reports. They are stable: tools and CI
// configurations refer to them. Validation rules of other packages use the
// same "area/name" form.
const (
	RuleSyntax             = "manifest/syntax"
	RuleMultipleDocuments  = "manifest/multiple-documents"
	RuleUnknownField       = "manifest/unknown-field"
	RuleDuplicateKey       = "manifest/duplicate-key"
	RuleWrongType          = "manifest/wrong-type"
	RuleMissingField       = "manifest/missing-field"
	RuleAPIVersion         = "manifest/api-version"
	RuleInvalidName        = "manifest/invalid-name"
	RuleInvalidVersion     = "manifest/invalid-version"
	RuleModuleSource       = "manifest/module-source"
	RuleInvalidPath        = "manifest/invalid-path"
	RuleTriggerKind        = "manifest/trigger-kind"
	RuleDuplicateName      = "manifest/duplicate-name"
	RuleInvalidCron        = "manifest/invalid-cron"
	RuleInvalidTimezone    = "manifest/invalid-timezone"
	RuleInvalidEventType   = "manifest/invalid-event-type"
	RuleInvalidHost        = "manifest/invalid-host"
	RuleInvalidEgress      = "manifest/invalid-egress"
	RuleDuplicateEgress    = "manifest/duplicate-egress"
	RuleInvalidConfigType  = "manifest/invalid-config-type"
	RuleConfigDefaultType  = "manifest/config-default-type"
	RuleInvalidCapability  = "manifest/invalid-capability"
	RuleInvalidDigest      = "manifest/invalid-digest"
	RuleInvalidSize        = "manifest/invalid-size"
	RuleInvalidDuration    = "manifest/invalid-duration"
	RuleInvalidLimit       = "manifest/invalid-limit"
	RuleMissingDescription = "manifest/missing-description"
	RuleNoTriggers         = "manifest/no-triggers"
)

// Rule describes one rule id.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
}

var rules = []Rule{
	{RuleSyntax, SeverityError, "the file is not a readable YAML mapping (syntax error, empty, binary, too large, excessive aliasing); reported as a *ParseError"},
	{RuleMultipleDocuments, SeverityError, "the file holds more than one YAML document; a manifest is exactly one"},
	{RuleUnknownField, SeverityError, "a field that the manifest format does not define (often a typo: the hint suggests the closest known field)"},
	{RuleDuplicateKey, SeverityError, "the same key appears twice in one mapping"},
	{RuleWrongType, SeverityError, "a value of the wrong YAML type (for example a number where a string is expected, or a list where a mapping is)"},
	{RuleMissingField, SeverityError, "a required field is absent (apiVersion, name, version, module, a trigger's name, a secret's name, ...)"},
	{RuleAPIVersion, SeverityError, "apiVersion is not forge.dev/v1"},
	{RuleInvalidName, SeverityError, "an extension, trigger, secret or config name does not match its pattern"},
	{RuleInvalidVersion, SeverityError, "version is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])"},
	{RuleModuleSource, SeverityError, "module must set exactly one of go (a Go source directory) and wasm (a prebuilt module)"},
	{RuleInvalidPath, SeverityError, "a module path is absolute, escapes the manifest's directory, or is not a .wasm file"},
	{RuleTriggerKind, SeverityError, "a trigger must set exactly one of schedule and event"},
	{RuleDuplicateName, SeverityError, "two triggers, secrets, config fields or capabilities share a name or id"},
	{RuleInvalidCron, SeverityError, "a schedule's cron expression does not parse or never fires"},
	{RuleInvalidTimezone, SeverityError, "a schedule's timezone is not a known IANA time zone name"},
	{RuleInvalidEventType, SeverityError, "an event type is not a dotted lower-case name like invoice.created"},
	{RuleInvalidHost, SeverityError, "a secret's host is not a host name, a \"*.\" wildcard over at least two labels, or an IP literal"},
	{RuleInvalidEgress, SeverityError, "an egress entry is not scheme://host[:port][/path-prefix] (or the object form) under the egress rules"},
	{RuleDuplicateEgress, SeverityWarning, "the same egress destination is declared twice"},
	{RuleInvalidConfigType, SeverityError, "a config field's type is not string, int, number or bool"},
	{RuleConfigDefaultType, SeverityError, "a config field's default does not have the field's type"},
	{RuleInvalidCapability, SeverityError, "a capability id is not SOURCE.NAME"},
	{RuleInvalidDigest, SeverityError, "a capability digest is not sha256: followed by 64 lower-case hex digits"},
	{RuleInvalidSize, SeverityError, "a size limit is not an integer with a unit B, KiB, MiB or GiB (or an integer of bytes), or is zero"},
	{RuleInvalidDuration, SeverityError, "a duration limit is not a positive Go duration like 10s or 1m30s"},
	{RuleInvalidLimit, SeverityError, "a count limit is negative"},
	{RuleMissingDescription, SeverityWarning, "the extension has no description; reviewers approve what it says it does"},
	{RuleNoTriggers, SeverityWarning, "the extension declares no triggers, so it can never run"},
}

// Rules returns the rules Parse may report, in a stable order.
func Rules() []Rule { return append([]Rule(nil), rules...) }
