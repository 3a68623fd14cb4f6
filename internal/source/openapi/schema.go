package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxInlineDepth bounds the nesting of schemas that are written inline (not
// through a $ref). Resolved documents cannot nest without a $ref, so this is
// only a guard against pathological pointer graphs.
const maxInlineDepth = 128

// converter turns OpenAPI schemas into JSON Schema (draft 2020-12). Every
// schema reached through a $ref becomes one $defs entry, converted and
// encoded once per document and shared by all operations that reach it.
type converter struct {
	nullable bool // the document is OpenAPI 3.0 (or converted Swagger 2.0): honour "nullable"

	byRef  map[string]*def // $ref string -> definition
	byName map[string]*def // definition name -> definition
	warn   func(code, loc, msg string)
}

// def is one $defs entry.
type def struct {
	name  string
	ptr   string // "#/$defs/<escaped name>"
	value *openapi3.Schema
	raw   json.RawMessage // the encoded JSON Schema, set once converted
	deps  []*def          // definitions raw refers to directly, in first-use order
}

func newConverter(nullable bool, warn func(code, loc, msg string)) *converter {
	return &converter{
		nullable: nullable,
		byRef:    make(map[string]*def),
		byName:   make(map[string]*def),
		warn:     warn,
	}
}

// scope collects the definitions one schema tree refers to directly.
type scope struct {
	deps []*def
	seen map[*def]bool
}

func (s *scope) add(d *def) {
	if s.seen == nil {
		s.seen = make(map[*def]bool)
	}
	if !s.seen[d] {
		s.seen[d] = true
		s.deps = append(s.deps, d)
	}
}

var safeDefName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// defFor returns the definition of a $ref, creating (and converting) it on
// first use.
func (c *converter) defFor(ref string, value *openapi3.Schema) *def {
	if d, ok := c.byRef[ref]; ok {
		return d
	}
	name := defName(ref)
	if !safeDefName.MatchString(name) {
		name = sanitizeDefName(name)
	}
	if _, taken := c.byName[name]; taken {
		base := name
		for i := 2; ; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
			if _, taken := c.byName[name]; !taken {
				break
			}
		}
	}
	d := &def{name: name, ptr: "#/$defs/" + name, value: value}
	c.byRef[ref] = d
	c.byName[name] = d
	c.fill(d)
	return d
}

// fill converts d's schema. d is registered before it is filled, so a cycle
// back to d finds it and becomes a plain $ref: that is what terminates
// recursive schemas.
func (c *converter) fill(d *def) {
	var sc scope
	var v any = true
	if d.value != nil {
		v = c.value(d.value, &sc, 0)
	}
	d.raw = marshal(v)
	d.deps = sc.deps
}

// defName derives a definition name from a $ref: the component name for
// "#/components/schemas/Name" (also in another file), otherwise the whole
// reference.
func defName(ref string) string {
	file, frag, _ := strings.Cut(ref, "#")
	if rest, ok := strings.CutPrefix(frag, "/components/schemas/"); ok && !strings.Contains(rest, "/") {
		return unescapePointer(rest)
	}
	if rest, ok := strings.CutPrefix(frag, "/definitions/"); ok && !strings.Contains(rest, "/") {
		return unescapePointer(rest)
	}
	if frag != "" {
		parts := strings.Split(strings.Trim(frag, "/"), "/")
		for i := range parts {
			parts[i] = unescapePointer(parts[i])
		}
		if file != "" {
			parts = append([]string{baseName(file)}, parts...)
		}
		return strings.Join(parts, ".")
	}
	return baseName(file)
}

func baseName(file string) string {
	if i := strings.LastIndexAny(file, "/\\"); i >= 0 {
		file = file[i+1:]
	}
	return file
}

func unescapePointer(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func sanitizeDefName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r == '.' || r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		if !ok {
			if !under {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
		b.WriteRune(r)
	}
	out := strings.Trim(b.String(), "_")
	if out == "" {
		out = "schema"
	}
	return out
}

// schema converts a schema reference: a $ref becomes {"$ref":"#/$defs/…"}.
func (c *converter) schema(sr *openapi3.SchemaRef, sc *scope, depth int) any {
	if sr == nil {
		return true
	}
	if sr.Ref != "" {
		d := c.defFor(sr.Ref, sr.Value)
		sc.add(d)
		return map[string]any{"$ref": d.ptr}
	}
	if sr.Value == nil {
		return true
	}
	return c.value(sr.Value, sc, depth)
}

// value converts one schema object. The result is a map[string]any or, for
// the boolean schemas of OpenAPI 3.1, a bool.
func (c *converter) value(s *openapi3.Schema, sc *scope, depth int) any {
	if s.Always != nil {
		return *s.Always
	}
	if depth > maxInlineDepth {
		return true
	}
	depth++
	m := make(map[string]any, 8)
	sub := func(sr *openapi3.SchemaRef) any { return c.schema(sr, sc, depth) }
	list := func(refs openapi3.SchemaRefs) []any {
		out := make([]any, 0, len(refs))
		for _, r := range refs {
			out = append(out, sub(r))
		}
		return out
	}
	props := func(ss openapi3.Schemas) map[string]any {
		out := make(map[string]any, len(ss))
		for k, r := range ss {
			out[k] = sub(r)
		}
		return out
	}

	var types []string
	if s.Type != nil {
		for _, t := range *s.Type {
			switch t {
			case "null", "boolean", "object", "array", "number", "string", "integer":
				types = append(types, t)
			case "file": // Swagger 2.0 form uploads
				types = append(types, "string")
				if s.Format == "" {
					m["format"] = "binary"
				}
			default:
				c.warn(CodeSchema, "", fmt.Sprintf("unknown schema type %q was left out", t))
			}
		}
	}
	nullable := c.nullable && s.Nullable
	if nullable && len(types) > 0 && !slices.Contains(types, "null") {
		types = append(types, "null")
	}
	switch len(types) {
	case 0:
	case 1:
		m["type"] = types[0]
	default:
		m["type"] = types
	}

	if s.Title != "" {
		m["title"] = s.Title
	}
	if s.Description != "" {
		m["description"] = s.Description
	}
	if s.Format != "" {
		m["format"] = s.Format
	}
	if len(s.Enum) > 0 {
		enum := s.Enum
		if nullable && !slices.Contains(enum, any(nil)) {
			enum = append(slices.Clip(enum), nil)
		}
		m["enum"] = enum
	}
	if s.Default != nil {
		m["default"] = s.Default
	}
	if s.Const != nil {
		m["const"] = s.Const
	}
	var examples []any
	if s.Example != nil {
		examples = append(examples, s.Example)
	}
	examples = append(examples, s.Examples...)
	if len(examples) > 0 {
		m["examples"] = examples
	}
	if s.ReadOnly {
		m["readOnly"] = true
	}
	if s.WriteOnly {
		m["writeOnly"] = true
	}
	if s.Deprecated {
		m["deprecated"] = true
	}

	// Numbers. OpenAPI 3.0 writes exclusive bounds as booleans next to
	// minimum/maximum; JSON Schema 2020-12 writes the bound itself.
	if s.Min != nil {
		if s.ExclusiveMin.IsTrue() {
			m["exclusiveMinimum"] = *s.Min
		} else {
			m["minimum"] = *s.Min
		}
	}
	if s.ExclusiveMin.Value != nil {
		m["exclusiveMinimum"] = *s.ExclusiveMin.Value
	}
	if s.Max != nil {
		if s.ExclusiveMax.IsTrue() {
			m["exclusiveMaximum"] = *s.Max
		} else {
			m["maximum"] = *s.Max
		}
	}
	if s.ExclusiveMax.Value != nil {
		m["exclusiveMaximum"] = *s.ExclusiveMax.Value
	}
	if s.MultipleOf != nil {
		m["multipleOf"] = *s.MultipleOf
	}

	// Strings.
	if s.MinLength > 0 {
		m["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		m["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		m["pattern"] = s.Pattern
	}
	if s.ContentMediaType != "" {
		m["contentMediaType"] = s.ContentMediaType
	}
	if s.ContentEncoding != "" {
		m["contentEncoding"] = s.ContentEncoding
	}
	if s.ContentSchema != nil {
		m["contentSchema"] = sub(s.ContentSchema)
	}

	// Arrays.
	if s.Items != nil {
		m["items"] = sub(s.Items)
	}
	if len(s.PrefixItems) > 0 {
		m["prefixItems"] = list(s.PrefixItems)
	}
	if s.Contains != nil {
		m["contains"] = sub(s.Contains)
	}
	if s.MinContains != nil {
		m["minContains"] = *s.MinContains
	}
	if s.MaxContains != nil {
		m["maxContains"] = *s.MaxContains
	}
	if s.MinItems > 0 {
		m["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		m["maxItems"] = *s.MaxItems
	}
	if s.UniqueItems {
		m["uniqueItems"] = true
	}
	if v, ok := c.boolSchema(s.UnevaluatedItems, sc, depth); ok {
		m["unevaluatedItems"] = v
	}

	// Objects.
	if len(s.Properties) > 0 {
		m["properties"] = props(s.Properties)
	}
	if len(s.Required) > 0 {
		m["required"] = s.Required
	}
	if s.MinProps > 0 {
		m["minProperties"] = s.MinProps
	}
	if s.MaxProps != nil {
		m["maxProperties"] = *s.MaxProps
	}
	if v, ok := c.boolSchema(s.AdditionalProperties, sc, depth); ok {
		m["additionalProperties"] = v
	}
	if v, ok := c.boolSchema(s.UnevaluatedProperties, sc, depth); ok {
		m["unevaluatedProperties"] = v
	}
	if len(s.PatternProperties) > 0 {
		m["patternProperties"] = props(s.PatternProperties)
	}
	if len(s.DependentSchemas) > 0 {
		m["dependentSchemas"] = props(s.DependentSchemas)
	}
	if len(s.DependentRequired) > 0 {
		m["dependentRequired"] = s.DependentRequired
	}
	if s.PropertyNames != nil {
		m["propertyNames"] = sub(s.PropertyNames)
	}

	// Composition.
	if len(s.AllOf) > 0 {
		m["allOf"] = list(s.AllOf)
	}
	if len(s.AnyOf) > 0 {
		m["anyOf"] = list(s.AnyOf)
	}
	if len(s.OneOf) > 0 {
		m["oneOf"] = list(s.OneOf)
	}
	if s.Not != nil {
		m["not"] = sub(s.Not)
	}
	if s.If != nil {
		m["if"] = sub(s.If)
	}
	if s.Then != nil {
		m["then"] = sub(s.Then)
	}
	if s.Else != nil {
		m["else"] = sub(s.Else)
	}

	// OpenAPI 3.0 "nullable" without a type (typically next to allOf or
	// oneOf): null is one more alternative.
	if nullable && len(types) == 0 && (len(s.AllOf) > 0 || len(s.AnyOf) > 0 || len(s.OneOf) > 0) {
		return map[string]any{"anyOf": []any{m, map[string]any{"type": "null"}}}
	}
	return m
}

func (c *converter) boolSchema(b openapi3.BoolSchema, sc *scope, depth int) (any, bool) {
	if b.Has != nil {
		return *b.Has, true
	}
	if b.Schema != nil {
		return c.schema(b.Schema, sc, depth), true
	}
	return nil, false
}

// closure returns the definitions reachable from roots, sorted by name.
func closure(roots []*def) []*def {
	seen := make(map[*def]bool, len(roots))
	stack := slices.Clone(roots)
	var out []*def
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
		stack = append(stack, d.deps...)
	}
	slices.SortFunc(out, func(a, b *def) int { return strings.Compare(a.name, b.name) })
	return out
}

// document encodes a root schema object with the $defs it reaches. The
// cached encoding of each definition is written as is.
func document(root map[string]any, roots []*def) json.RawMessage {
	body := marshal(root)
	defs := closure(roots)
	if len(defs) == 0 {
		return body
	}
	size := len(body) + 16
	for _, d := range defs {
		size += len(d.name) + len(d.raw) + 4
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(`{"$defs":{`)
	for i, d := range defs {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, d.name)
		b.WriteByte(':')
		b.Write(d.raw)
	}
	b.WriteString("}")
	if len(body) > 2 { // body is an object with at least one member
		b.WriteByte(',')
		b.Write(body[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes()
}

// marshal encodes v without HTML escaping; map keys come out sorted.
func marshal(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Everything converted is plain JSON data decoded from JSON text;
		// fall back to the schema that accepts anything.
		return json.RawMessage("true")
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}
