package mcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// defaultInputSchema stands in for a tool that sends no inputSchema.
const defaultInputSchema = `{"type":"object"}`

const invalidToolHint = "the server's tools/list result breaks the MCP specification; fix the tool definition in the server (every tool needs a unique non-empty name and an inputSchema that is a JSON object)"

// ConvertToolsList turns a tools/list result ({"tools":[...]}, as the server
// sent it) into unsealed capabilities, one per tool, sorted by name. origin
// is the command or URL the result came from (it names the source in errors)
// and target the transport fields every capability's Target starts from
// (Transport and Command or URL); Tool is set per tool.
//
// An invalid tool (no name, a duplicate name, an inputSchema that is not a
// JSON object) is an *source.InputError; defects that leave the tool usable
// are Warnings. Result.Digest is over the canonical tools list: the tools
// sorted by name, each re-encoded with capability.CanonicalJSON. Provenance
// is left to the caller. The nextCursor of the result is ignored.
func ConvertToolsList(data []byte, origin string, target capability.Target) (*source.Result, error) {
	tools, _, err := parsePage(data, origin)
	if err != nil {
		return nil, err
	}
	return convertTools(tools, origin, target)
}

// parsePage splits one tools/list result into its raw tool objects and its
// nextCursor ("" when there are no more pages).
func parsePage(data []byte, origin string) ([]json.RawMessage, string, error) {
	var page map[string]json.RawMessage
	if err := json.Unmarshal(data, &page); err != nil {
		msg := "tools/list result is not valid JSON: " + err.Error()
		if json.Valid(data) {
			msg = "tools/list result is a JSON " + jsonKind(data) + ", not an object"
		}
		return nil, "", &source.InputError{File: origin, Msg: msg, Hint: invalidToolHint, Err: err}
	}
	if page == nil {
		return nil, "", &source.InputError{File: origin, Msg: "tools/list result is null, not an object", Hint: invalidToolHint}
	}
	rawTools, ok := page["tools"]
	if !ok {
		return nil, "", &source.InputError{File: origin, Msg: `tools/list result has no "tools" array`, Hint: invalidToolHint}
	}
	var tools []json.RawMessage
	if err := json.Unmarshal(rawTools, &tools); err != nil || jsonKind(rawTools) != "array" {
		return nil, "", &source.InputError{File: origin, Msg: `"tools" in the tools/list result is a JSON ` + jsonKind(rawTools) + ", not an array", Hint: invalidToolHint}
	}
	var next string
	if raw, ok := page["nextCursor"]; ok && jsonKind(raw) != "null" {
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, "", &source.InputError{File: origin, Msg: `"nextCursor" in the tools/list result is a JSON ` + jsonKind(raw) + ", not a string", Hint: invalidToolHint}
		}
	}
	return tools, next, nil
}

// tool is what the conversion reads of one tool object.
type tool struct {
	name      string
	canonical []byte
}

// convertTools converts the raw tool objects of all pages.
func convertTools(rawTools []json.RawMessage, origin string, target capability.Target) (*source.Result, error) {
	res := &source.Result{Capabilities: make([]capability.Capability, 0, len(rawTools))}
	byName := make(map[string]int, len(rawTools))       // tool name -> index in rawTools
	byCapName := make(map[string]string, len(rawTools)) // capability name -> tool name
	canon := make([]tool, 0, len(rawTools))

	for i, raw := range rawTools {
		bad := func(name, format string, args ...any) error {
			where := fmt.Sprintf("tool #%d", i+1)
			if name != "" {
				where = fmt.Sprintf("tool %q", name)
			}
			return &source.InputError{File: origin, Msg: where + ": " + fmt.Sprintf(format, args...), Hint: invalidToolHint}
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			return nil, bad("", "is a JSON %s, not an object", jsonKind(raw))
		}
		rawName, ok := fields["name"]
		if !ok {
			return nil, bad("", "has no name")
		}
		var name string
		if err := json.Unmarshal(rawName, &name); err != nil {
			return nil, bad("", "name is a JSON %s, not a string", jsonKind(rawName))
		}
		if strings.TrimSpace(name) == "" {
			return nil, bad("", "has an empty name")
		}
		if j, dup := byName[name]; dup {
			return nil, bad(name, "is listed twice (tools #%d and #%d); tool names must be unique", j+1, i+1)
		}
		byName[name] = i

		title, err := optionalString(fields, "title")
		if err != nil {
			return nil, bad(name, "%v", err)
		}
		description, err := optionalString(fields, "description")
		if err != nil {
			return nil, bad(name, "%v", err)
		}

		schema, ok := fields["inputSchema"]
		switch kind := jsonKind(schema); {
		case !ok || kind == "null":
			res.Warnings = append(res.Warnings, source.Warning{Code: "mcp-no-input-schema", Location: name, Message: "tool has no inputSchema; assuming " + defaultInputSchema})
			schema = json.RawMessage(defaultInputSchema)
		case kind != "object":
			return nil, bad(name, "inputSchema is a JSON %s, not an object", kind)
		default:
			var head struct {
				Type json.RawMessage `json:"type"`
			}
			// The schema is a well-formed object, so this cannot fail.
			_ = json.Unmarshal(schema, &head)
			if len(head.Type) > 0 && string(head.Type) != `"object"` {
				res.Warnings = append(res.Warnings, source.Warning{Code: "mcp-input-schema-type", Location: name, Message: fmt.Sprintf(`inputSchema has "type": %s; MCP expects "object"`, head.Type)})
			}
		}

		readOnly, destructive, annTitle, warn := readAnnotations(fields["annotations"])
		if warn != "" {
			res.Warnings = append(res.Warnings, source.Warning{Code: "mcp-annotations", Location: name, Message: warn})
		}
		if title == "" {
			title = annTitle
		}

		capName := name
		if !capability.ValidName(name) {
			capName = capability.SanitizeName(name)
			if !capability.ValidName(capName) {
				return nil, bad(name, "cannot be turned into a valid capability name")
			}
			res.Warnings = append(res.Warnings, source.Warning{Code: "mcp-tool-name", Location: name, Message: fmt.Sprintf("tool name %q is not a valid capability name; using %q", name, capName)})
		}
		if other, clash := byCapName[capName]; clash {
			return nil, bad(name, "and tool %q both become the capability name %q", other, capName)
		}
		byCapName[capName] = name

		c, err := capability.CanonicalJSON(raw)
		if err != nil {
			return nil, bad(name, "cannot be canonicalized: %v", err)
		}
		canon = append(canon, tool{name: name, canonical: c})

		t := target
		t.Tool = name
		res.Capabilities = append(res.Capabilities, capability.Capability{
			Name:        capName,
			Kind:        capability.KindMCP,
			Effect:      Effect(readOnly, destructive),
			Description: describe(title, description),
			InputSchema: bytes.Clone(schema),
			Target:      t,
		})
	}
	if len(rawTools) == 0 {
		res.Warnings = append(res.Warnings, source.Warning{Code: "mcp-no-tools", Message: "the server lists no tools"})
	}

	sort.Slice(res.Capabilities, func(i, j int) bool { return res.Capabilities[i].Name < res.Capabilities[j].Name })
	sort.Slice(canon, func(i, j int) bool { return canon[i].name < canon[j].name })
	var buf bytes.Buffer
	buf.WriteString(`{"tools":[`)
	for i, t := range canon {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(t.canonical)
	}
	buf.WriteString(`]}`)
	res.Digest = source.Digest(buf.Bytes())
	return res, nil
}

// Effect maps a tool's behaviour hints to an Effect, following the defaults
// of the MCP specification: a nil hint is an absent one. readOnlyHint true
// means read; otherwise destructiveHint explicitly false means write;
// otherwise (destructiveHint true or absent, whose default is true) the tool
// is destructive.
func Effect(readOnlyHint, destructiveHint *bool) capability.Effect {
	switch {
	case readOnlyHint != nil && *readOnlyHint:
		return capability.EffectRead
	case destructiveHint != nil && !*destructiveHint:
		return capability.EffectWrite
	default:
		return capability.EffectDestructive
	}
}

// readAnnotations reads the hints the effect depends on and the title. A
// hint that is not a JSON boolean counts as absent and gives a warning.
func readAnnotations(raw json.RawMessage) (readOnly, destructive *bool, title, warning string) {
	if len(raw) == 0 || jsonKind(raw) == "null" {
		return nil, nil, "", ""
	}
	var ann map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ann); err != nil {
		return nil, nil, "", fmt.Sprintf("annotations is a JSON %s, not an object; ignoring it", jsonKind(raw))
	}
	var warnings []string
	hint := func(key string) *bool {
		v, ok := ann[key]
		if !ok || jsonKind(v) == "null" {
			return nil
		}
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			warnings = append(warnings, fmt.Sprintf("annotations.%s is a JSON %s, not a boolean; treating it as absent", key, jsonKind(v)))
			return nil
		}
		return &b
	}
	readOnly = hint("readOnlyHint")
	destructive = hint("destructiveHint")
	if v, ok := ann["title"]; ok {
		_ = json.Unmarshal(v, &title) // a non-string title is simply not used
	}
	return readOnly, destructive, title, strings.Join(warnings, "; ")
}

// describe joins a tool's title and description.
func describe(title, description string) string {
	title, description = strings.TrimSpace(title), strings.TrimSpace(description)
	switch {
	case title == "" || title == description:
		return description
	case description == "":
		return title
	default:
		return title + "\n\n" + description
	}
}

// optionalString reads an optional string field.
func optionalString(fields map[string]json.RawMessage, key string) (string, error) {
	raw, ok := fields[key]
	if !ok || jsonKind(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is a JSON %s, not a string", key, jsonKind(raw))
	}
	return s, nil
}

// jsonKind names the kind of a JSON value by its first significant byte:
// "object", "array", "string", "number", "boolean", "null", or "" when data
// is empty or starts with something else.
func jsonKind(data []byte) string {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return ""
	}
	switch c := data[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || ('0' <= c && c <= '9'):
		return "number"
	}
	return ""
}
