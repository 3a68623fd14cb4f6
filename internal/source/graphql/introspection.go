package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/forgehq/forge/internal/source"
)

// IntrospectionQuery is the introspection query sent to live endpoints. It
// is graphql-js's getIntrospectionQuery() with its default options (no
// specifiedByURL, isRepeatable, schema description or input value
// deprecation), so that servers of any age accept it.
const IntrospectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      locations
      args { ...InputValue }
    }
  }
}

fragment FullType on __Type {
  kind
  name
  description
  fields(includeDeprecated: true) {
    name
    description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}

fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
}

fragment TypeRef on __Type {
  kind
  name
  ofType {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                }
              }
            }
          }
        }
      }
    }
  }
}
`

// The shape of an introspection result, as far as the importer reads it.
type introResponse struct {
	Schema *introSchema `json:"__schema"`
	Data   *struct {
		Schema *introSchema `json:"__schema"`
	} `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

type introSchema struct {
	Description      *string      `json:"description"`
	QueryType        *introName   `json:"queryType"`
	MutationType     *introName   `json:"mutationType"`
	SubscriptionType *introName   `json:"subscriptionType"`
	Types            []*introType `json:"types"`
}

type introName struct {
	Name string `json:"name"`
}

type introType struct {
	Kind          string            `json:"kind"`
	Name          string            `json:"name"`
	Description   *string           `json:"description"`
	Fields        []*introField     `json:"fields"`
	InputFields   []*introInput     `json:"inputFields"`
	Interfaces    []*introTypeRef   `json:"interfaces"`
	EnumValues    []*introEnumValue `json:"enumValues"`
	PossibleTypes []*introTypeRef   `json:"possibleTypes"`
	IsOneOf       bool              `json:"isOneOf"`
}

type introField struct {
	Name              string        `json:"name"`
	Description       *string       `json:"description"`
	Args              []*introInput `json:"args"`
	Type              *introTypeRef `json:"type"`
	IsDeprecated      bool          `json:"isDeprecated"`
	DeprecationReason *string       `json:"deprecationReason"`
}

type introInput struct {
	Name              string        `json:"name"`
	Description       *string       `json:"description"`
	Type              *introTypeRef `json:"type"`
	DefaultValue      *string       `json:"defaultValue"`
	IsDeprecated      bool          `json:"isDeprecated"`
	DeprecationReason *string       `json:"deprecationReason"`
}

type introEnumValue struct {
	Name              string  `json:"name"`
	Description       *string `json:"description"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type introTypeRef struct {
	Kind   string        `json:"kind"`
	Name   *string       `json:"name"`
	OfType *introTypeRef `json:"ofType"`
}

const introHint = "the document must be a GraphQL introspection result: {\"__schema\": ...} or {\"data\": {\"__schema\": ...}}"

// decodeIntrospection decodes an introspection result. Errors are
// *source.InputError naming file, with the line and column of JSON syntax
// errors.
func decodeIntrospection(file string, data []byte) (*introSchema, error) {
	var resp introResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, jsonError(file, data, err)
	}
	s := resp.Schema
	if s == nil && resp.Data != nil {
		s = resp.Data.Schema
	}
	if s == nil {
		if len(resp.Errors) > 0 {
			return nil, &source.InputError{File: file, Msg: "introspection failed: " + joinErrors(resp.Errors), Hint: "the server refused introspection; import an SDL or introspection file instead"}
		}
		return nil, &source.InputError{File: file, Msg: "not a GraphQL introspection result: no __schema object", Hint: introHint}
	}
	return s, nil
}

func joinErrors(errs []struct {
	Message string `json:"message"`
},
) string {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	const maxErrs = 5
	if len(msgs) > maxErrs {
		msgs = append(msgs[:maxErrs], fmt.Sprintf("and %d more", len(msgs)-maxErrs))
	}
	return strings.Join(msgs, "; ")
}

// jsonError turns an encoding/json error into an *source.InputError with a
// position where the error has one.
func jsonError(file string, data []byte, err error) error {
	ie := &source.InputError{File: file, Msg: "invalid JSON: " + err.Error(), Hint: introHint, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset is just past the offending byte.
		off := syn.Offset - 1
		end := int64(len(bytes.TrimRight(data, " \t\r\n")))
		if syn.Offset >= int64(len(data)) || off >= end {
			off = end
			ie.Msg = "invalid JSON: the document is truncated (" + syn.Error() + ")"
		}
		ie.Line, ie.Col = source.LineCol(data, off)
	case errors.As(err, &typ):
		// Offset is just past the offending value.
		ie.Line, ie.Col = source.LineCol(data, typ.Offset-1)
		where := typ.Field
		if where == "" {
			where = "the document"
		}
		ie.Msg = fmt.Sprintf("not a GraphQL introspection result: %s is a JSON %s, want %s", where, typ.Value, jsonKind(typ.Type))
	}
	return ie
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	default:
		return "number"
	}
}

// introToDocument converts an introspection result into a schema document
// without the built-in types (the caller adds the prelude). Names of types
// the prelude already declares, and the introspection types (__Schema and
// the like), are skipped.
func introToDocument(file string, s *introSchema) (*ast.SchemaDocument, error) {
	builtin := preludeTypeNames()
	doc := &ast.SchemaDocument{}
	known := make(map[string]bool, len(s.Types)+len(builtin))
	for n := range builtin {
		known[n] = true
	}
	for i, t := range s.Types {
		if t == nil {
			return nil, &source.InputError{File: file, Msg: fmt.Sprintf("__schema.types[%d] is null", i), Hint: introHint}
		}
		if t.Name == "" {
			return nil, &source.InputError{File: file, Msg: fmt.Sprintf("__schema.types[%d] has no name", i), Hint: introHint}
		}
		known[t.Name] = true
	}

	ic := introConv{file: file, known: known}
	var schemaDef ast.SchemaDefinition
	for _, root := range []struct {
		op ast.Operation
		n  *introName
	}{{ast.Query, s.QueryType}, {ast.Mutation, s.MutationType}, {ast.Subscription, s.SubscriptionType}} {
		if root.n == nil || root.n.Name == "" {
			continue
		}
		if !known[root.n.Name] {
			return nil, &source.InputError{File: file, Msg: fmt.Sprintf("the %s root type %s is not among __schema.types", root.op, root.n.Name), Hint: introHint}
		}
		schemaDef.OperationTypes = append(schemaDef.OperationTypes, &ast.OperationTypeDefinition{Operation: root.op, Type: root.n.Name})
	}
	if s.Description != nil {
		schemaDef.Description = *s.Description
	}
	doc.Schema = ast.SchemaDefinitionList{&schemaDef}

	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") {
			continue
		}
		if kind, ok := builtin[t.Name]; ok && string(kind) == t.Kind {
			continue
		}
		def, err := ic.definition(t)
		if err != nil {
			return nil, err
		}
		doc.Definitions = append(doc.Definitions, def)
	}
	return doc, nil
}

type introConv struct {
	file  string
	known map[string]bool
}

func (ic introConv) errorf(format string, args ...any) error {
	return &source.InputError{File: ic.file, Msg: fmt.Sprintf(format, args...), Hint: introHint}
}

func (ic introConv) definition(t *introType) (*ast.Definition, error) {
	def := &ast.Definition{Name: t.Name, Description: str(t.Description)}
	switch t.Kind {
	case "SCALAR":
		def.Kind = ast.Scalar
	case "OBJECT", "INTERFACE":
		def.Kind = ast.Object
		if t.Kind == "INTERFACE" {
			def.Kind = ast.Interface
		}
		for _, f := range t.Fields {
			if f == nil {
				return nil, ic.errorf("type %s has a null field", t.Name)
			}
			where := t.Name + "." + f.Name
			typ, err := ic.typeRef(where, f.Type)
			if err != nil {
				return nil, err
			}
			fd := &ast.FieldDefinition{Name: f.Name, Description: str(f.Description), Type: typ}
			for _, a := range f.Args {
				if a == nil {
					return nil, ic.errorf("field %s has a null argument", where)
				}
				ad, err := ic.inputValue(where+"("+a.Name+":)", a)
				if err != nil {
					return nil, err
				}
				fd.Arguments = append(fd.Arguments, &ast.ArgumentDefinition{
					Name: ad.Name, Description: ad.Description, Type: ad.Type,
					DefaultValue: ad.DefaultValue, Directives: ad.Directives,
				})
			}
			fd.Directives = deprecatedDirective(f.IsDeprecated, f.DeprecationReason)
			def.Fields = append(def.Fields, fd)
		}
		for _, i := range t.Interfaces {
			if i == nil || i.Name == nil {
				return nil, ic.errorf("type %s implements an interface without a name", t.Name)
			}
			def.Interfaces = append(def.Interfaces, *i.Name)
		}
	case "UNION":
		def.Kind = ast.Union
		for _, p := range t.PossibleTypes {
			if p == nil || p.Name == nil {
				return nil, ic.errorf("union %s has a member without a name", t.Name)
			}
			def.Types = append(def.Types, *p.Name)
		}
	case "ENUM":
		def.Kind = ast.Enum
		for _, v := range t.EnumValues {
			if v == nil {
				return nil, ic.errorf("enum %s has a null value", t.Name)
			}
			def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{
				Name: v.Name, Description: str(v.Description),
				Directives: deprecatedDirective(v.IsDeprecated, v.DeprecationReason),
			})
		}
	case "INPUT_OBJECT":
		def.Kind = ast.InputObject
		for _, f := range t.InputFields {
			if f == nil {
				return nil, ic.errorf("input type %s has a null field", t.Name)
			}
			fd, err := ic.inputValue(t.Name+"."+f.Name, f)
			if err != nil {
				return nil, err
			}
			def.Fields = append(def.Fields, fd)
		}
		if t.IsOneOf {
			def.Directives = ast.DirectiveList{{Name: "oneOf"}}
		}
	default:
		return nil, ic.errorf("type %s has unknown kind %q", t.Name, t.Kind)
	}
	return def, nil
}

func (ic introConv) inputValue(where string, in *introInput) (*ast.FieldDefinition, error) {
	typ, err := ic.typeRef(where, in.Type)
	if err != nil {
		return nil, err
	}
	fd := &ast.FieldDefinition{Name: in.Name, Description: str(in.Description), Type: typ}
	if in.DefaultValue != nil {
		v, err := parseConstValue(*in.DefaultValue)
		if err != nil {
			return nil, ic.errorf("%s: default value %q: %v", where, *in.DefaultValue, err)
		}
		fd.DefaultValue = v
	}
	fd.Directives = deprecatedDirective(in.IsDeprecated, in.DeprecationReason)
	return fd, nil
}

// maxTypeDepth bounds list/non-null wrapping, like gqlparser's parser does
// for SDL.
const maxTypeDepth = 100

func (ic introConv) typeRef(where string, r *introTypeRef) (*ast.Type, error) {
	var wrappers []string
	for depth := 0; ; depth++ {
		if r == nil {
			return nil, ic.errorf("%s: missing type", where)
		}
		if depth > maxTypeDepth {
			return nil, ic.errorf("%s: type is nested more than %d levels", where, maxTypeDepth)
		}
		if r.Kind != "LIST" && r.Kind != "NON_NULL" {
			break
		}
		wrappers = append(wrappers, r.Kind)
		r = r.OfType
	}
	if r.Name == nil || *r.Name == "" {
		return nil, ic.errorf("%s: type of kind %q has no name", where, r.Kind)
	}
	if !ic.known[*r.Name] {
		return nil, ic.errorf("%s: unknown type %s", where, *r.Name)
	}
	t := &ast.Type{NamedType: *r.Name}
	for i := len(wrappers) - 1; i >= 0; i-- {
		switch wrappers[i] {
		case "NON_NULL":
			if t.NonNull {
				return nil, ic.errorf("%s: NON_NULL of NON_NULL", where)
			}
			t.NonNull = true
		case "LIST":
			t = &ast.Type{Elem: t}
		}
	}
	return t, nil
}

func deprecatedDirective(deprecated bool, reason *string) ast.DirectiveList {
	if !deprecated {
		return nil
	}
	d := &ast.Directive{Name: "deprecated"}
	if reason != nil {
		d.Arguments = ast.ArgumentList{{Name: "reason", Value: &ast.Value{Kind: ast.StringValue, Raw: *reason}}}
	}
	return ast.DirectiveList{d}
}

// parseConstValue parses a GraphQL value literal, as introspection returns
// default values, by parsing it as a variable default.
func parseConstValue(lit string) (*ast.Value, error) {
	doc, err := parser.ParseQuery(&ast.Source{Name: "defaultValue", Input: "query($v: X = " + lit + "\n) { a }"})
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "defaultValue:"))
	}
	if len(doc.Operations) != 1 || len(doc.Operations[0].VariableDefinitions) != 1 || doc.Operations[0].VariableDefinitions[0].DefaultValue == nil {
		return nil, errors.New("not a single value")
	}
	return doc.Operations[0].VariableDefinitions[0].DefaultValue, nil
}

func preludeTypeNames() map[string]ast.DefinitionKind {
	out := map[string]ast.DefinitionKind{}
	for _, d := range validator.PreludeDocument().Definitions {
		out[d.Name] = d.Kind
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
