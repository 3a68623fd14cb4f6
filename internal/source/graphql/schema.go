package graphql

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/forgehq/forge/internal/source"
)

// Warning codes.
const (
	WarnDuplicateField     = "graphql-duplicate-field"
	WarnDuplicateEnumValue = "graphql-duplicate-enum-value"
	WarnBuiltinRedeclared  = "graphql-builtin-redeclared"
	WarnNameCollision      = "graphql-name-collision"
	WarnInvalidName        = "graphql-invalid-name"
	WarnNoRootType         = "graphql-no-root-type"
)

var preludeKinds = sync.OnceValue(preludeTypeNames)

// parseSDL parses an SDL document without validating it.
func parseSDL(file string, data []byte) (doc *ast.SchemaDocument, err error) {
	src := &ast.Source{Name: file, Input: string(data)}
	defer func() {
		// gqlparser is not supposed to panic; if it does on some input, that
		// input is still only bad input.
		if r := recover(); r != nil {
			doc, err = nil, &source.InputError{File: file, Msg: fmt.Sprintf("cannot parse GraphQL SDL: %v", r), Hint: "check that the document is GraphQL SDL"}
		}
	}()
	doc, err = parser.ParseSchema(src)
	if err != nil {
		return nil, gqlInputError(file, err, "fix the syntax error; the document must be GraphQL SDL (type definitions)")
	}
	return doc, nil
}

// buildSchema makes the document valid where that is safe (exact duplicate
// fields and enum values, redeclared built-in scalars are dropped with a
// warning), adds the prelude and validates. loc formats a position for
// warnings.
func buildSchema(file string, doc *ast.SchemaDocument, loc func(*ast.Position) string) (schema *ast.Schema, warns []source.Warning, err error) {
	warns = dropDuplicates(doc, loc)
	warns = append(warns, dropBuiltinScalars(doc, loc)...)

	full := validator.PreludeDocument()
	full.Merge(doc)
	defer func() {
		if r := recover(); r != nil {
			schema, err = nil, &source.InputError{File: file, Msg: fmt.Sprintf("invalid GraphQL schema: %v", r), Hint: "check the schema's type definitions"}
		}
	}()
	schema, err = validator.ValidateSchemaDocument(full)
	if err != nil {
		return nil, warns, gqlInputError(file, err, "fix the schema definition at this position")
	}
	return schema, warns, nil
}

// dropDuplicates removes fields and enum values that repeat an earlier one
// of the same type (across its definition and extensions) with the same
// signature. Repeats with a different signature are left for the validator
// to report.
func dropDuplicates(doc *ast.SchemaDocument, loc func(*ast.Position) string) []source.Warning {
	var warns []source.Warning
	type seenField struct {
		sig string
		pos *ast.Position
	}
	fields := map[string]map[string]seenField{}
	values := map[string]map[string]*ast.Position{}
	visit := func(def *ast.Definition) {
		if len(def.Fields) > 0 {
			seen := fields[def.Name]
			if seen == nil {
				seen = map[string]seenField{}
				fields[def.Name] = seen
			}
			kept := def.Fields[:0]
			for _, f := range def.Fields {
				sig := fieldSignature(f)
				if prev, ok := seen[f.Name]; ok && prev.sig == sig {
					msg := fmt.Sprintf("field %s.%s is defined twice with the same type and arguments; the definition at %s is kept", def.Name, f.Name, loc(prev.pos))
					warns = append(warns, source.Warning{Code: WarnDuplicateField, Location: loc(f.Position), Message: msg})
					continue
				}
				if _, ok := seen[f.Name]; !ok {
					seen[f.Name] = seenField{sig, f.Position}
				}
				kept = append(kept, f)
			}
			def.Fields = kept
		}
		if len(def.EnumValues) > 0 {
			seen := values[def.Name]
			if seen == nil {
				seen = map[string]*ast.Position{}
				values[def.Name] = seen
			}
			kept := def.EnumValues[:0]
			for _, v := range def.EnumValues {
				if prev, ok := seen[v.Name]; ok {
					msg := fmt.Sprintf("enum value %s.%s is defined twice; the definition at %s is kept", def.Name, v.Name, loc(prev))
					warns = append(warns, source.Warning{Code: WarnDuplicateEnumValue, Location: loc(v.Position), Message: msg})
					continue
				}
				seen[v.Name] = v.Position
				kept = append(kept, v)
			}
			def.EnumValues = kept
		}
	}
	for _, def := range doc.Definitions {
		visit(def)
	}
	for _, def := range doc.Extensions {
		visit(def)
	}
	return warns
}

// fieldSignature is what makes two definitions of a field the same: its
// type and its arguments' names, types and defaults. Descriptions and
// directives do not count.
func fieldSignature(f *ast.FieldDefinition) string {
	var b strings.Builder
	if f.Type != nil {
		b.WriteString(f.Type.String())
	}
	if f.DefaultValue != nil {
		b.WriteString("=" + f.DefaultValue.String())
	}
	for _, a := range f.Arguments {
		b.WriteString("|" + a.Name + ":")
		if a.Type != nil {
			b.WriteString(a.Type.String())
		}
		if a.DefaultValue != nil {
			b.WriteString("=" + a.DefaultValue.String())
		}
	}
	return b.String()
}

// dropBuiltinScalars removes scalar definitions of the built-in scalars
// (String, Int, ...), which some SDL printers emit and the validator would
// reject as redeclared.
func dropBuiltinScalars(doc *ast.SchemaDocument, loc func(*ast.Position) string) []source.Warning {
	var warns []source.Warning
	builtin := preludeKinds()
	kept := doc.Definitions[:0]
	for _, def := range doc.Definitions {
		if kind, ok := builtin[def.Name]; ok && kind == ast.Scalar && def.Kind == ast.Scalar {
			warns = append(warns, source.Warning{Code: WarnBuiltinRedeclared, Location: loc(def.Position), Message: fmt.Sprintf("built-in scalar %s is declared again; the declaration is ignored", def.Name)})
			continue
		}
		kept = append(kept, def)
	}
	doc.Definitions = kept
	return warns
}

// gqlInputError converts a gqlparser error into a *source.InputError naming
// file, with the position when the error is in file.
func gqlInputError(file string, err error, hint string) error {
	ie := &source.InputError{File: file, Msg: err.Error(), Hint: hint, Err: err}
	var list gqlerror.List
	var ge *gqlerror.Error
	if errors.As(err, &list) && len(list) > 0 {
		ge = list[0]
	} else if !errors.As(err, &ge) {
		return ie
	}
	ie.Msg = ge.Message
	inFile := true
	if f, ok := ge.Extensions["file"].(string); ok && f != file {
		inFile = false
		ie.Msg = f + ": " + ge.Message
	}
	if inFile && len(ge.Locations) > 0 && ge.Locations[0].Line > 0 {
		ie.Line, ie.Col = ge.Locations[0].Line, max(ge.Locations[0].Column, 0)
	}
	if strings.HasPrefix(ge.Message, "Undefined type") {
		ie.Hint = "define the type or correct the reference"
	}
	return ie
}
