package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// builtinScalars maps the spec's scalars to JSON Schema types.
var builtinScalars = map[string]string{
	"String":  "string",
	"ID":      "string",
	"Int":     "integer",
	"Float":   "number",
	"Boolean": "boolean",
}

// convertSchema turns the query and mutation root fields of schema into
// capabilities. endpoint is the live URL, if any.
func convertSchema(ctx context.Context, schema *ast.Schema, endpoint string, opts source.Options) ([]capability.Capability, []source.Warning, error) {
	type root struct {
		def *ast.Definition
		op  string
		eff capability.Effect
	}
	roots := []root{{schema.Query, "query", capability.EffectRead}, {schema.Mutation, "mutation", capability.EffectWrite}}
	total := 0
	for _, r := range roots {
		if r.def != nil {
			total += len(rootFields(r.def))
		}
	}
	opts.Progressf("converting %d fields", total)

	var warns []source.Warning
	if schema.Query == nil && schema.Mutation == nil {
		warns = append(warns, source.Warning{Code: WarnNoRootType, Message: "the schema has no query or mutation root type, so it has no capabilities"})
	}
	caps := make([]capability.Capability, 0, total)
	taken := make(map[string]string, total) // name -> "query.field"
	done := 0
	for _, r := range roots {
		if r.def == nil {
			continue
		}
		for _, f := range rootFields(r.def) {
			if done%256 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
			}
			done++
			name := f.Name
			if !capability.ValidName(name) {
				name = capability.SanitizeName(name)
				warns = append(warns, source.Warning{Code: WarnInvalidName, Location: r.op + "." + f.Name, Message: fmt.Sprintf("field name is not a valid capability name; it is imported as %q", name)})
			}
			if prev, ok := taken[name]; ok {
				alt := capability.SanitizeName(r.op + "." + name)
				for i := 2; taken[alt] != ""; i++ {
					alt = capability.SanitizeName(fmt.Sprintf("%s.%s_%d", r.op, name, i))
				}
				warns = append(warns, source.Warning{Code: WarnNameCollision, Location: r.op + "." + f.Name, Message: fmt.Sprintf("%s field %s has the same name as %s; it is imported as %q", r.op, f.Name, prev, alt)})
				name = alt
			}
			taken[name] = r.op + " field " + f.Name

			inSchema, err := argumentsSchema(schema, f)
			if err != nil {
				return nil, nil, fmt.Errorf("%s field %s: %w", r.op, f.Name, err)
			}
			caps = append(caps, capability.Capability{
				Name:        name,
				Kind:        capability.KindGraphQL,
				Effect:      r.eff,
				Description: describe(f.Description, f.Directives),
				InputSchema: inSchema,
				Target:      capability.Target{Endpoint: endpoint, Operation: r.op, Field: f.Name},
			})
		}
	}
	return caps, warns, nil
}

// rootFields are the fields of a root type other than the introspection
// meta-fields (__schema, __type) that the validator adds to the query type.
func rootFields(def *ast.Definition) []*ast.FieldDefinition {
	out := make([]*ast.FieldDefinition, 0, len(def.Fields))
	for _, f := range def.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}

// describe returns a description with the deprecation reason appended.
func describe(desc string, dirs ast.DirectiveList) string {
	desc = strings.TrimSpace(desc)
	reason, ok := deprecation(dirs)
	if !ok {
		return desc
	}
	note := "Deprecated: " + reason
	if desc == "" {
		return note
	}
	return desc + "\n\n" + note
}

// deprecation reports whether dirs holds @deprecated, and its reason.
func deprecation(dirs ast.DirectiveList) (string, bool) {
	d := dirs.ForName("deprecated")
	if d == nil {
		return "", false
	}
	reason := "No longer supported"
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil && (a.Value.Kind == ast.StringValue || a.Value.Kind == ast.BlockValue) {
		reason = a.Value.Raw
	}
	return strings.TrimSpace(reason), true
}

// schemaBuilder builds the input schema of one field, collecting the input
// object types it reaches.
type schemaBuilder struct {
	schema *ast.Schema
	defs   map[string]any
}

func argumentsSchema(schema *ast.Schema, f *ast.FieldDefinition) (json.RawMessage, error) {
	b := &schemaBuilder{schema: schema, defs: map[string]any{}}
	inputs := make([]*ast.FieldDefinition, 0, len(f.Arguments))
	for _, a := range f.Arguments {
		inputs = append(inputs, &ast.FieldDefinition{Name: a.Name, Description: a.Description, Type: a.Type, DefaultValue: a.DefaultValue, Directives: a.Directives})
	}
	obj := b.object(inputs, true)
	if len(b.defs) > 0 {
		obj["$defs"] = b.defs
	}
	return marshal(obj)
}

// object builds an object schema with one property per input value.
// topLevel properties (field arguments) carry their GraphQL type.
func (b *schemaBuilder) object(fields []*ast.FieldDefinition, topLevel bool) map[string]any {
	props := make(map[string]any, len(fields))
	required := []string{}
	for _, f := range fields {
		if f.Type == nil {
			continue
		}
		p := b.typeSchema(f.Type)
		if desc := strings.TrimSpace(f.Description); desc != "" {
			if prev, ok := p["description"].(string); ok && prev != "" {
				desc += "\n\n" + prev
			}
			p["description"] = desc
		}
		if f.DefaultValue != nil {
			p["default"] = constValue(f.DefaultValue)
		}
		if _, ok := deprecation(f.Directives); ok {
			p["deprecated"] = true
		}
		if topLevel {
			p["x-graphql-type"] = f.Type.String()
		}
		props[f.Name] = p
		if f.Type.NonNull && f.DefaultValue == nil {
			required = append(required, f.Name)
		}
	}
	obj := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

// typeSchema returns a fresh schema for a GraphQL input type.
func (b *schemaBuilder) typeSchema(t *ast.Type) map[string]any {
	if t.Elem != nil {
		return map[string]any{"type": nullable("array", t.NonNull), "items": b.typeSchema(t.Elem)}
	}
	def := b.schema.Types[t.NamedType]
	if def == nil {
		return map[string]any{"description": "unknown GraphQL type " + t.NamedType}
	}
	switch def.Kind {
	case ast.Scalar:
		if jt, ok := builtinScalars[def.Name]; ok {
			return map[string]any{"type": nullable(jt, t.NonNull)}
		}
		desc := "GraphQL custom scalar " + def.Name
		if d := strings.TrimSpace(def.Description); d != "" {
			desc += ": " + d
		}
		s := map[string]any{"description": desc}
		if t.NonNull {
			s["not"] = map[string]any{"type": "null"}
		}
		return s
	case ast.Enum:
		values := make([]any, 0, len(def.EnumValues)+1)
		for _, v := range def.EnumValues {
			values = append(values, v.Name)
		}
		if !t.NonNull {
			values = append(values, nil)
		}
		return map[string]any{"type": nullable("string", t.NonNull), "enum": values}
	case ast.InputObject:
		b.define(def)
		ref := map[string]any{"$ref": "#/$defs/" + def.Name}
		if t.NonNull {
			return ref
		}
		return map[string]any{"anyOf": []any{ref, map[string]any{"type": "null"}}}
	default:
		// Not an input type; the validator rejects this, but stay total.
		return map[string]any{"description": fmt.Sprintf("GraphQL %s type %s (not an input type)", strings.ToLower(string(def.Kind)), def.Name)}
	}
}

// define adds the $defs entry of an input object type and of the input
// types it reaches. A type is entered before its fields are converted, so
// recursive types terminate.
func (b *schemaBuilder) define(def *ast.Definition) {
	if _, ok := b.defs[def.Name]; ok {
		return
	}
	b.defs[def.Name] = nil
	obj := b.object(def.Fields, false)
	if desc := strings.TrimSpace(def.Description); desc != "" {
		obj["description"] = desc
	}
	if def.Directives.ForName("oneOf") != nil {
		obj["minProperties"] = 1
		obj["maxProperties"] = 1
	}
	b.defs[def.Name] = obj
}

func nullable(jsonType string, nonNull bool) any {
	if nonNull {
		return jsonType
	}
	return []any{jsonType, "null"}
}

// constValue converts a GraphQL literal to its JSON value. Enum values
// become strings.
func constValue(v *ast.Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.IntValue, ast.FloatValue:
		if n := json.Number(v.Raw); json.Valid([]byte(v.Raw)) {
			if _, err := strconv.ParseFloat(v.Raw, 64); err == nil {
				return n
			}
		}
		return v.Raw
	case ast.BooleanValue:
		return v.Raw == "true"
	case ast.NullValue:
		return nil
	case ast.ListValue:
		out := make([]any, 0, len(v.Children))
		for _, c := range v.Children {
			out = append(out, constValue(c.Value))
		}
		return out
	case ast.ObjectValue:
		out := make(map[string]any, len(v.Children))
		for _, c := range v.Children {
			out[c.Name] = constValue(c.Value)
		}
		return out
	default: // strings, enum values, and (invalid in a default) variables
		return v.Raw
	}
}

func marshal(v any) (json.RawMessage, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(strings.TrimRight(sb.String(), "\n")), nil
}
