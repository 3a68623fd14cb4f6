// Package capability defines the Capability type, its canonical digest, and
// the project's pinned capability registry (see registry.go).
//
// A capability is one callable tool imported from a source (an OpenAPI
// operation, a GraphQL Query or Mutation field, or an MCP tool). Its ID is
// "SOURCE.NAME" and its Digest is a sha256 over its canonical definition, so
// that any change to what the tool says or does ("rug pull") is visible as a
// changed digest.
package capability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Kind is the kind of source a capability was imported from.
type Kind string

// Kinds of source.
const (
	KindOpenAPI Kind = "openapi"
	KindGraphQL Kind = "graphql"
	KindMCP     Kind = "mcp"
)

// Effect says what calling a capability may do.
type Effect string

// Effects, from least to most dangerous.
const (
	EffectRead        Effect = "read"
	EffectWrite       Effect = "write"
	EffectDestructive Effect = "destructive"
)

// ParseEffect returns the Effect named s, or an error.
func ParseEffect(s string) (Effect, error) {
	switch e := Effect(strings.ToLower(strings.TrimSpace(s))); e {
	case EffectRead, EffectWrite, EffectDestructive:
		return e, nil
	}
	return "", fmt.Errorf("unknown effect %q (want read, write or destructive)", s)
}

// Target says where a capability is dispatched. Only the fields of the
// capability's kind are set.
type Target struct {
	// OpenAPI: the server URL (may be relative or templated), the HTTP
	// method and the path template.
	Server string `json:"server,omitempty"`
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`

	// GraphQL: the endpoint (when known), the root operation type
	// ("query" or "mutation") and the field name.
	Endpoint  string `json:"endpoint,omitempty"`
	Operation string `json:"operation,omitempty"`
	Field     string `json:"field,omitempty"`

	// MCP: the transport ("stdio" or "http"), the command or URL, and the
	// tool name as the server reports it.
	Transport string `json:"transport,omitempty"`
	Command   string `json:"command,omitempty"`
	URL       string `json:"url,omitempty"`
	Tool      string `json:"tool,omitempty"`
}

// Capability is one callable tool from a source.
type Capability struct {
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	Name        string          `json:"name"`
	Kind        Kind            `json:"kind"`
	Effect      Effect          `json:"effect"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"inputSchema"`
	Target      Target          `json:"target"`
	Digest      string          `json:"digest"`
}

var sourceNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// maxNameLen is the longest capability name.
const maxNameLen = 200

// ValidSourceName reports whether name may be used as a source name:
// lower-case letters, digits, '_' and '-', starting with a letter, at most 63
// characters. Source names never contain a dot, so an ID splits at its first
// dot.
func ValidSourceName(name string) error {
	if !sourceNameRE.MatchString(name) {
		return fmt.Errorf("invalid source name %q: use lower-case letters, digits, '_' and '-', starting with a letter (at most 63 characters)", name)
	}
	return nil
}

// ValidName reports whether name may be used as a capability name: 1 to
// 200 characters from A-Z a-z 0-9 _ . / - { }, starting with a letter, a
// digit or '_'. (A loop, not a regexp: a {0,199} repetition compiles to a
// large program at every start of forge.)
func ValidName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		word := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
		if !word && (i == 0 || (c != '.' && c != '/' && c != '-' && c != '{' && c != '}')) {
			return false
		}
	}
	return true
}

// ValidID reports whether id is a well-formed capability id, SOURCE.NAME.
func ValidID(id string) bool {
	src, name, ok := SplitID(id)
	return ok && ValidSourceName(src) == nil && ValidName(name)
}

// SanitizeName turns an arbitrary string (an operationId, a method and path,
// a tool name) into a valid capability name: runs of characters that are not
// allowed become a single '_', and leading/trailing '_' are trimmed.
func SanitizeName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r == '_' || r == '.' || r == '/' || r == '-' || r == '{' || r == '}' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		if !ok {
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(r)
	}
	// A name starts with a letter, digit or '_' (see ValidName).
	out := strings.TrimRight(strings.TrimLeft(b.String(), "_./-{}"), "_./-")
	if len(out) > maxNameLen {
		out = out[:maxNameLen]
	}
	if out == "" {
		out = "unnamed"
	}
	return out
}

// SplitID splits "SOURCE.NAME" at its first dot.
func SplitID(id string) (source, name string, ok bool) {
	return strings.Cut(id, ".")
}

// Seal sets ID from Source and Name, canonicalizes InputSchema and computes
// Digest. Importers fill Name, Kind, Effect, Description, InputSchema and
// Target; the registry seals each capability with its source name.
func (c *Capability) Seal(source string) error {
	c.Source = source
	c.ID = source + "." + c.Name
	if len(c.InputSchema) == 0 {
		c.InputSchema = json.RawMessage(`{"type":"object"}`)
	}
	canon, err := CanonicalJSON(c.InputSchema)
	if err != nil {
		return fmt.Errorf("capability %s: input schema: %w", c.ID, err)
	}
	c.InputSchema = canon
	c.Digest = c.computeDigest()
	return nil
}

// ComputeDigest returns the digest of c's canonical definition (name,
// description, input schema and target) without changing c.
func (c *Capability) ComputeDigest() string { return c.computeDigest() }

func (c *Capability) computeDigest() string {
	def := struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Effect      Effect          `json:"effect"`
		InputSchema json.RawMessage `json:"inputSchema"`
		Target      Target          `json:"target"`
	}{c.Name, c.Description, c.Effect, c.InputSchema, c.Target}
	b, err := marshalNoEscape(def)
	if err != nil {
		// All fields are plain data that always marshal.
		panic(err)
	}
	return DigestBytes(b)
}

// CanonicalJSON re-encodes a JSON document with object keys sorted, numbers
// kept as written, no insignificant white space and no HTML escaping. The
// same value always gives the same bytes.
func CanonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return marshalNoEscape(v)
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
