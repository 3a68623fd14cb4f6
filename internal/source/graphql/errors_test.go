package graphql

import (
	"context"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/source"
)

func TestBadInput(t *testing.T) {
	validIntro := `{"__schema":{"queryType":{"name":"Query"},"types":[{"kind":"OBJECT","name":"Query","fields":[{"name":"a","args":[],"type":{"kind":"SCALAR","name":"Int"}}],"interfaces":[]}]}}`
	tests := []struct {
		name      string
		file      string
		data      string
		line, col int
		msg       string // substring of Error()
		hint      string // substring of Hint
	}{
		{
			name: "syntax error", file: "bad.graphql",
			data: "type Query {\n  a: Int\n  b(: Int\n}\n",
			line: 3, col: 5, msg: "bad.graphql:3:5: Expected Name, found :", hint: "syntax",
		},
		{
			name: "unknown type", file: "unknown.graphql",
			data: "type Query {\n  a(x: Nope): Int\n}\n",
			line: 2, col: 8, msg: "unknown.graphql:2:8: Undefined type Nope.", hint: "define the type",
		},
		{
			name: "unknown root type", file: "root.graphql",
			data: "schema { query: Missing }\ntype Query { a: Int }\n",
			line: 1, col: 10, msg: "refers to a type Missing that does not exist", hint: "schema definition",
		},
		{
			name: "object used as argument", file: "arg.graphql",
			data: "type Thing { a: Int }\ntype Query {\n  a(t: Thing): Int\n}\n",
			line: 3, col: 5, msg: "arg.graphql:3:5:", hint: "schema definition",
		},
		{
			name: "empty SDL", file: "empty.graphql", data: " \n\t\n",
			msg: "the document is empty",
		},
		{
			name: "SDL given a query", file: "query.graphql", data: "{ viewer { login } }",
			line: 1, col: 1, msg: "query.graphql:1:1:", hint: "GraphQL SDL",
		},
		{
			name: "JSON that is not introspection", file: "openapi.json",
			data: `{"openapi": "3.0.0", "info": {"title": "x"}}`,
			msg:  "openapi.json: not a GraphQL introspection result: no __schema object", hint: "__schema",
		},
		{
			name: "introspection with wrong types", file: "wrong.json",
			data: "{\"__schema\": {\n  \"types\": \"all of them\"\n}}",
			line: 2, col: 24, msg: "__schema.types is a JSON string, want array", hint: "__schema",
		},
		{
			name: "truncated JSON", file: "truncated.json",
			data: validIntro[:90],
			line: 1, col: 91, msg: "truncated.json:1:91: invalid JSON: the document is truncated", hint: "__schema",
		},
		{
			name: "truncated JSON with a final newline", file: "truncated.json",
			data: "{\n  \"__schema\": {\n    \"types\": [\n",
			line: 3, col: 15, msg: "truncated.json:3:15: invalid JSON: the document is truncated", hint: "__schema",
		},
		{
			name: "JSON syntax error", file: "syntax.json",
			data: "{\n  \"__schema\": {,}\n}",
			line: 2, col: 16, msg: "syntax.json:2:16: invalid JSON: invalid character ','", hint: "__schema",
		},
		{
			name: "introspection unknown type", file: "dangling.json",
			data: strings.Replace(validIntro, `"name":"Int"`, `"name":"Nope"`, 1),
			msg:  "dangling.json: Query.a: unknown type Nope", hint: "__schema",
		},
		{
			name: "introspection unknown root", file: "root.json",
			data: strings.Replace(validIntro, `{"name":"Query"}`, `{"name":"Root"}`, 1),
			msg:  "the query root type Root is not among __schema.types",
		},
		{
			name: "introspection bad kind", file: "kind.json",
			data: strings.Replace(validIntro, `"kind":"OBJECT"`, `"kind":"THING"`, 1),
			msg:  `type Query has unknown kind "THING"`,
		},
		{
			name: "introspection bad default", file: "default.json",
			data: `{"__schema":{"queryType":{"name":"Query"},"types":[{"kind":"OBJECT","name":"Query","fields":[{"name":"a","args":[{"name":"x","type":{"kind":"SCALAR","name":"Int"},"defaultValue":"{{"}],"type":{"kind":"SCALAR","name":"Int"}}],"interfaces":[]}]}}`,
			msg:  `Query.a(x:): default value "{{"`,
		},
		{
			name: "introspection errors only", file: "errors.json",
			data: `{"errors":[{"message":"introspection disabled"}]}`,
			msg:  "introspection failed: introspection disabled", hint: "refused introspection",
		},
		{
			name: "introspection invalid schema", file: "invalid.json",
			data: `{"__schema":{"queryType":{"name":"Query"},"types":[{"kind":"OBJECT","name":"Query","fields":[],"interfaces":[]}]}}`,
			msg:  "invalid.json: OBJECT Query: must define one or more fields.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importFile(t, tc.file, []byte(tc.data))
			ie := inputError(t, err)
			if ie.File != tc.file || ie.Line != tc.line || ie.Col != tc.col {
				t.Errorf("position %s:%d:%d, want %s:%d:%d", ie.File, ie.Line, ie.Col, tc.file, tc.line, tc.col)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if !strings.Contains(ie.Hint, tc.hint) {
				t.Errorf("hint %q does not contain %q", ie.Hint, tc.hint)
			}
		})
	}
}

func TestMissingFileAndLocation(t *testing.T) {
	_, err := Importer{}.Import(context.Background(), source.Spec{Name: "x", Location: "nope.graphql"}, source.Options{Dir: t.TempDir()})
	if ie := inputError(t, err); ie.File != "nope.graphql" || !strings.Contains(ie.Msg, "cannot read") {
		t.Errorf("error = %v", err)
	}
	_, err = Importer{}.Import(context.Background(), source.Spec{Name: "x"}, source.Options{})
	if ie := inputError(t, err); !strings.Contains(ie.Msg, "no location") {
		t.Errorf("error = %v", err)
	}
}
