package manifest

import (
	"path"
	"strconv"
	"time"
)

// APIVersion is the only manifest apiVersion this package understands.
const APIVersion = "forge.dev/v1"

// Pos is a position in the manifest source: 1-based line and column (the
// column counts characters, as yaml.v3 does). The zero Pos means "not
// present".
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// IsValid reports whether p is a real position (the value was present).
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "line:col", or "-" for the zero Pos.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Manifest is a parsed extension.yaml. Fields that failed to parse keep
// their zero value; the diagnostics returned with the Manifest say why.
//
// For each field, the matching ...Pos is the position of its value in the
// source; the Pos of a list entry is the position of the entry itself.
type Manifest struct {
	// File is the name the manifest was parsed under.
	File string `json:"file"`
	// Pos is the position of the top-level mapping.
	Pos Pos `json:"pos"`

	APIVersion     string `json:"apiVersion"`
	APIVersionPos  Pos    `json:"apiVersionPos,omitzero"`
	Name           string `json:"name"`
	NamePos        Pos    `json:"namePos,omitzero"`
	Version        string `json:"version"`
	VersionPos     Pos    `json:"versionPos,omitzero"`
	Description    string `json:"description,omitempty"`
	DescriptionPos Pos    `json:"descriptionPos,omitzero"`

	Module       Module          `json:"module"`
	Triggers     []Trigger       `json:"triggers,omitempty"`
	Secrets      []Secret        `json:"secrets,omitempty"`
	Egress       []Egress        `json:"egress,omitempty"`
	Config       []ConfigField   `json:"config,omitempty"`
	Capabilities []CapabilityRef `json:"capabilities,omitempty"`
	Limits       Limits          `json:"limits"`
}

// Module says where the extension's code is: exactly one of Go (a Go source
// directory) or Wasm (a prebuilt WebAssembly module), as a slash-separated
// path relative to the manifest's directory.
type Module struct {
	Go      string `json:"go,omitempty"`
	GoPos   Pos    `json:"goPos,omitzero"`
	Wasm    string `json:"wasm,omitempty"`
	WasmPos Pos    `json:"wasmPos,omitzero"`
	// Pos is the position of the module mapping.
	Pos Pos `json:"pos,omitzero"`
}

// Kind returns "go", "wasm", or "" when neither (or, for an invalid
// manifest, both) is set.
func (m Module) Kind() string {
	switch {
	case m.Go != "" && m.Wasm == "":
		return "go"
	case m.Wasm != "" && m.Go == "":
		return "wasm"
	}
	return ""
}

// Path returns the module path (Go or Wasm) in the manifest's slash form.
func (m Module) Path() string {
	if m.Kind() == "go" {
		return m.Go
	}
	if m.Kind() == "wasm" {
		return m.Wasm
	}
	return ""
}

// Resolve returns the module path joined to dir, the manifest's directory,
// in slash form (use filepath.FromSlash for the OS form).
func (m Module) Resolve(dir string) string {
	p := m.Path()
	if p == "" {
		return ""
	}
	return path.Join(dir, p)
}

// Trigger is one way the extension is started: exactly one of Schedule or
// Event is set in a valid manifest.
type Trigger struct {
	Name     string    `json:"name"`
	NamePos  Pos       `json:"namePos,omitzero"`
	Schedule *Schedule `json:"schedule,omitempty"`
	Event    *Event    `json:"event,omitempty"`
	Pos      Pos       `json:"pos"`
}

// Schedule is a time-based trigger.
type Schedule struct {
	// Cron is the expression as written; Spec is its parse (nil if invalid).
	Cron    string `json:"cron"`
	CronPos Pos    `json:"cronPos,omitzero"`
	Spec    *Cron  `json:"-"`
	// Timezone is the IANA zone name as written ("" when omitted);
	// Location is the loaded zone, UTC when omitted (nil if invalid).
	Timezone    string         `json:"timezone,omitempty"`
	TimezonePos Pos            `json:"timezonePos,omitzero"`
	Location    *time.Location `json:"-"`
	Pos         Pos            `json:"pos"`
}

// Next returns the first firing strictly after t, or the zero Time when the
// schedule did not parse.
func (s *Schedule) Next(t time.Time) time.Time {
	if s == nil || s.Spec == nil || s.Location == nil {
		return time.Time{}
	}
	return s.Spec.Next(t, s.Location)
}

// Event is a trigger started by an event the host emits. Whether the type is
// declared (in forge.yaml) is checked by validation, not here.
type Event struct {
	Type    string `json:"type"`
	TypePos Pos    `json:"typePos,omitzero"`
	Pos     Pos    `json:"pos"`
}

// Secret is a value the customer provides at install time, readable by the
// module and sendable only to Hosts.
type Secret struct {
	Name           string `json:"name"`
	NamePos        Pos    `json:"namePos,omitzero"`
	Description    string `json:"description,omitempty"`
	DescriptionPos Pos    `json:"descriptionPos,omitzero"`
	Hosts          []Host `json:"hosts,omitempty"`
	Pos            Pos    `json:"pos"`

	// hostsInvalid records that Parse reported a host of the secret (or
	// the hosts list itself) as an error, so that Hosts may lack it.
	hostsInvalid bool
}

// HostsInvalid reports whether Parse rejected the secret's hosts list or
// one of its hosts (and reported that as an error): Hosts is then not all
// the secret declares, and an empty Hosts does not mean that it declares
// none.
func (s *Secret) HostsInvalid() bool { return s.hostsInvalid }

// Host is a host name pattern: an exact name ("slack.com"), or a wildcard
// ("*.example.com") that matches every name below the rest of the pattern,
// at any depth, but not that name itself. Names are lower-cased.
type Host struct {
	Name     string `json:"name"`
	Wildcard bool   `json:"wildcard,omitempty"`
	IsIP     bool   `json:"isIP,omitempty"`
	Pos      Pos    `json:"pos"`
}

// Matches reports whether the host name h (any case, no port) matches the
// pattern.
func (h Host) Matches(name string) bool { return hostMatches(h.Name, h.Wildcard, name) }

// ConfigType is the type of a config value.
type ConfigType string

// Config types.
const (
	ConfigString ConfigType = "string"
	ConfigInt    ConfigType = "int"
	ConfigNumber ConfigType = "number"
	ConfigBool   ConfigType = "bool"
)

// ConfigTypes lists the config types, in documentation order.
var ConfigTypes = []ConfigType{ConfigString, ConfigInt, ConfigNumber, ConfigBool}

// ConfigField is one setting the customer may change without a rebuild.
type ConfigField struct {
	Name    string     `json:"name"`
	NamePos Pos        `json:"namePos,omitzero"`
	Type    ConfigType `json:"type"`
	TypePos Pos        `json:"typePos,omitzero"`
	// Default is nil when absent, else a string, int64, float64 or bool
	// matching Type.
	Default        any    `json:"default,omitempty"`
	DefaultPos     Pos    `json:"defaultPos,omitzero"`
	Description    string `json:"description,omitempty"`
	DescriptionPos Pos    `json:"descriptionPos,omitzero"`
	Pos            Pos    `json:"pos"`
}

// CapabilityRef records a registry capability the build used, with the
// digest it had at build time. Whether it still exists with that digest is
// checked by validation, not here.
type CapabilityRef struct {
	ID        string `json:"id"`
	IDPos     Pos    `json:"idPos,omitzero"`
	Digest    string `json:"digest"`
	DigestPos Pos    `json:"digestPos,omitzero"`
	Pos       Pos    `json:"pos"`
}

// Limits are per-invocation limits the extension asks for. A limit that is
// not written has Set == false and is left to forge.yaml's default.
type Limits struct {
	Memory    Limit[Bytes]         `json:"memory,omitzero"`
	Timeout   Limit[time.Duration] `json:"timeout,omitzero"`
	HTTPCalls Limit[int]           `json:"httpCalls,omitzero"`
	Pos       Pos                  `json:"pos,omitzero"`
}

// Limit is one limit value and where it was written.
type Limit[T Bytes | time.Duration | int] struct {
	Value T    `json:"value"`
	Set   bool `json:"set"`
	Pos   Pos  `json:"pos"`
}

// Trigger returns the trigger named name, or nil.
func (m *Manifest) Trigger(name string) *Trigger {
	for i := range m.Triggers {
		if m.Triggers[i].Name == name {
			return &m.Triggers[i]
		}
	}
	return nil
}

// Secret returns the secret named name, or nil.
func (m *Manifest) Secret(name string) *Secret {
	for i := range m.Secrets {
		if m.Secrets[i].Name == name {
			return &m.Secrets[i]
		}
	}
	return nil
}

// ConfigField returns the config field named name, or nil.
func (m *Manifest) ConfigField(name string) *ConfigField {
	for i := range m.Config {
		if m.Config[i].Name == name {
			return &m.Config[i]
		}
	}
	return nil
}

// AllowsURL reports whether some egress entry allows a request to the
// absolute URL rawURL. See Egress.Allows.
func (m *Manifest) AllowsURL(rawURL string) bool {
	for _, e := range m.Egress {
		if e.AllowsURL(rawURL) {
			return true
		}
	}
	return false
}
