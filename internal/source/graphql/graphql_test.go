package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// importFile writes data to dir/name and imports it.
func importFile(t testing.TB, name string, data []byte) (*source.Result, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return Importer{}.Import(context.Background(), source.Spec{Name: "test", Kind: capability.KindGraphQL, Location: name}, source.Options{Dir: dir})
}

// importSDL imports sdl and fails the test on error or on a capability that
// does not seal.
func importSDL(t *testing.T, sdl string) *source.Result {
	t.Helper()
	res, err := importFile(t, "schema.graphql", []byte(sdl))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	for _, c := range res.Capabilities {
		if err := c.Seal("test"); err != nil {
			t.Fatalf("seal %s: %v", c.Name, err)
		}
	}
	return res
}

func inputError(t *testing.T, err error) *source.InputError {
	t.Helper()
	var ie *source.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v (%T), want *source.InputError", err, err)
	}
	return ie
}

func names(caps []capability.Capability) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		out = append(out, c.Name)
	}
	return out
}

func capNamed(t *testing.T, res *source.Result, name string) capability.Capability {
	t.Helper()
	for _, c := range res.Capabilities {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no capability %q in %v", name, names(res.Capabilities))
	return capability.Capability{}
}

// schemaOf decodes a capability's input schema.
func schemaOf(t *testing.T, c capability.Capability) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.InputSchema, &m); err != nil {
		t.Fatalf("%s: input schema: %v", c.Name, err)
	}
	return m
}

// assertJSON compares a value with the JSON it should encode as.
func assertJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want for %s: %v", what, err)
	}
	gb, _ := json.Marshal(got)
	var g any
	_ = json.Unmarshal(gb, &g)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s =\n%s\nwant\n%s", what, gb, want)
	}
}

func assertSameCapabilities(t *testing.T, want, got []capability.Capability) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %v, want %v", names(got), names(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if err := w.Seal("x"); err != nil {
			t.Fatal(err)
		}
		if err := g.Seal("x"); err != nil {
			t.Fatal(err)
		}
		if w.Digest != g.Digest {
			t.Errorf("capability %s differs:\n got %+v\n     %s\nwant %+v\n     %s", w.Name, g, g.InputSchema, w, w.InputSchema)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	for loc, want := range map[string]Format{
		"schema.graphql":                       FormatSDL,
		"dir/Schema.GRAPHQLS":                  FormatSDL,
		"x.gql":                                FormatSDL,
		"x.sdl":                                FormatSDL,
		"schema.json":                          FormatIntrospection,
		"schema.txt":                           "",
		"schema":                               "",
		"https://example.com/schema.graphql":   FormatSDL,
		"https://example.com/s.json?token=abc": FormatIntrospection,
		"https://example.com/graphql":          FormatEndpoint,
		"http://127.0.0.1:8080/":               FormatEndpoint,
		"https://example.com/graphql?x=a.json": FormatEndpoint,
		"https://example.com/v1.graphql/query": FormatEndpoint,
	} {
		if got := DetectFormat(loc); got != want {
			t.Errorf("DetectFormat(%q) = %q, want %q", loc, got, want)
		}
	}
}

func TestRecursiveInputTypes(t *testing.T) {
	res := importSDL(t, `
type Query { search(filter: Filter!, page: Page): [String!]! }
"A filter."
input Filter { and: [Filter!] or: [Filter!] not: Filter name: Name }
input Name { equals: String parent: Filter }
input Page { after: String }
input Unused { x: Int }
`)
	s := schemaOf(t, capNamed(t, res, "search"))
	assertJSON(t, "search schema", s, `{
  "type": "object",
  "additionalProperties": false,
  "required": ["filter"],
  "properties": {
    "filter": {"$ref": "#/$defs/Filter", "x-graphql-type": "Filter!"},
    "page": {"anyOf": [{"$ref": "#/$defs/Page"}, {"type": "null"}], "x-graphql-type": "Page"}
  },
  "$defs": {
    "Filter": {
      "type": "object", "additionalProperties": false, "description": "A filter.",
      "properties": {
        "and": {"type": ["array", "null"], "items": {"$ref": "#/$defs/Filter"}},
        "or": {"type": ["array", "null"], "items": {"$ref": "#/$defs/Filter"}},
        "not": {"anyOf": [{"$ref": "#/$defs/Filter"}, {"type": "null"}]},
        "name": {"anyOf": [{"$ref": "#/$defs/Name"}, {"type": "null"}]}
      }
    },
    "Name": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "equals": {"type": ["string", "null"]},
        "parent": {"anyOf": [{"$ref": "#/$defs/Filter"}, {"type": "null"}]}
      }
    },
    "Page": {"type": "object", "additionalProperties": false, "properties": {"after": {"type": ["string", "null"]}}}
  }
}`)
}

func TestListAndNonNullCombinations(t *testing.T) {
	res := importSDL(t, `
type Query { f(a: [Int], b: [Int!], c: [Int]!, d: [Int!]!, e: [[String!]], g: Float!, h: Boolean, i: ID!): Int }
`)
	s := schemaOf(t, capNamed(t, res, "f"))
	assertJSON(t, "properties", s["properties"], `{
  "a": {"type": ["array", "null"], "items": {"type": ["integer", "null"]}, "x-graphql-type": "[Int]"},
  "b": {"type": ["array", "null"], "items": {"type": "integer"}, "x-graphql-type": "[Int!]"},
  "c": {"type": "array", "items": {"type": ["integer", "null"]}, "x-graphql-type": "[Int]!"},
  "d": {"type": "array", "items": {"type": "integer"}, "x-graphql-type": "[Int!]!"},
  "e": {"type": ["array", "null"], "items": {"type": ["array", "null"], "items": {"type": "string"}}, "x-graphql-type": "[[String!]]"},
  "g": {"type": "number", "x-graphql-type": "Float!"},
  "h": {"type": ["boolean", "null"], "x-graphql-type": "Boolean"},
  "i": {"type": "string", "x-graphql-type": "ID!"}
}`)
	assertJSON(t, "required", s["required"], `["c", "d", "g", "i"]`)
}

func TestEnumsScalarsAndDefaults(t *testing.T) {
	res := importSDL(t, `
"An instant, ISO 8601."
scalar DateTime
scalar JSON
enum Direction { DESC ASC }
enum Field { NAME CREATED_AT }
input Order { field: Field! direction: Direction! = ASC }
type Query {
  items(
    "How many."
    first: Int = 10
    dir: Direction
    dirs: [Direction!]! = [ASC, DESC]
    order: Order = {field: NAME, direction: DESC}
    since: DateTime!
    meta: JSON
    flag: Boolean! = true
    ratio: Float = 1.5e3
    name: String = "a \"quoted\" name"
    nothing: String = null
  ): Int
}
`)
	c := capNamed(t, res, "items")
	s := schemaOf(t, c)
	assertJSON(t, "properties", s["properties"], `{
  "first": {"type": ["integer", "null"], "default": 10, "description": "How many.", "x-graphql-type": "Int"},
  "dir": {"type": ["string", "null"], "enum": ["DESC", "ASC", null], "x-graphql-type": "Direction"},
  "dirs": {"type": "array", "items": {"type": "string", "enum": ["DESC", "ASC"]}, "default": ["ASC", "DESC"], "x-graphql-type": "[Direction!]!"},
  "order": {"anyOf": [{"$ref": "#/$defs/Order"}, {"type": "null"}], "default": {"field": "NAME", "direction": "DESC"}, "x-graphql-type": "Order"},
  "since": {"description": "GraphQL custom scalar DateTime: An instant, ISO 8601.", "not": {"type": "null"}, "x-graphql-type": "DateTime!"},
  "meta": {"description": "GraphQL custom scalar JSON", "x-graphql-type": "JSON"},
  "flag": {"type": "boolean", "default": true, "x-graphql-type": "Boolean!"},
  "ratio": {"type": ["number", "null"], "default": 1500, "x-graphql-type": "Float"},
  "name": {"type": ["string", "null"], "default": "a \"quoted\" name", "x-graphql-type": "String"},
  "nothing": {"type": ["string", "null"], "default": null, "x-graphql-type": "String"}
}`)
	assertJSON(t, "required", s["required"], `["since"]`)
	assertJSON(t, "$defs", s["$defs"], `{"Order": {
  "type": "object", "additionalProperties": false, "required": ["field"],
  "properties": {
    "field": {"type": "string", "enum": ["NAME", "CREATED_AT"]},
    "direction": {"type": "string", "enum": ["DESC", "ASC"], "default": "ASC"}
  }
}}`)
	// Numbers keep their literal form through sealing.
	if err := c.Seal("x"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(c.InputSchema), `"default":1.5e3`) {
		t.Errorf("sealed schema lost the literal 1.5e3: %s", c.InputSchema)
	}
}

func TestCustomRootTypeNames(t *testing.T) {
	res := importSDL(t, `
schema { query: QueryRoot mutation: MutationRoot subscription: SubRoot }
type QueryRoot { viewer: String }
type MutationRoot { login(user: String!): String }
type SubRoot { events: String }
"Not a root: the schema definition names the roots."
type Query { notARoot: Int }
type Mutation { alsoNotARoot: Int }
`)
	if got, want := names(res.Capabilities), []string{"viewer", "login"}; !slices.Equal(got, want) {
		t.Fatalf("capabilities %v, want %v", got, want)
	}
	if c := capNamed(t, res, "login"); c.Effect != capability.EffectWrite || c.Target.Operation != "mutation" || c.Target.Field != "login" || c.Kind != capability.KindGraphQL {
		t.Errorf("login = %+v", c)
	}
	if c := capNamed(t, res, "viewer"); c.Effect != capability.EffectRead || c.Target.Operation != "query" {
		t.Errorf("viewer = %+v", c)
	}
	if res.Provenance["queryType"] != "QueryRoot" || res.Provenance["mutationType"] != "MutationRoot" {
		t.Errorf("provenance = %v", res.Provenance)
	}
}

func TestExtendSchemaRoots(t *testing.T) {
	res := importSDL(t, `
schema { query: Q }
extend schema { mutation: M }
type Q { a: Int }
type M { b: Int }
extend type Q { c: Int }
`)
	if got, want := names(res.Capabilities), []string{"a", "c", "b"}; !slices.Equal(got, want) {
		t.Fatalf("capabilities %v, want %v", got, want)
	}
}

func TestQueryMutationNameCollision(t *testing.T) {
	sdl := `
type Query { user(id: ID!): String settings: String }
type Mutation { user(id: ID!, name: String!): String other: Int }
`
	res := importSDL(t, sdl)
	if got, want := names(res.Capabilities), []string{"user", "settings", "mutation.user", "other"}; !slices.Equal(got, want) {
		t.Fatalf("capabilities %v, want %v", got, want)
	}
	q, m := capNamed(t, res, "user"), capNamed(t, res, "mutation.user")
	if q.Effect != capability.EffectRead || m.Effect != capability.EffectWrite || m.Target.Field != "user" || m.Target.Operation != "mutation" {
		t.Errorf("query %+v, mutation %+v", q, m)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Code != WarnNameCollision || !strings.Contains(res.Warnings[0].Message, `"mutation.user"`) {
		t.Errorf("warnings = %v", res.Warnings)
	}
	// Deterministic: the same input gives the same names and warnings.
	again := importSDL(t, sdl)
	if !reflect.DeepEqual(again.Warnings, res.Warnings) || !slices.Equal(names(again.Capabilities), names(res.Capabilities)) {
		t.Errorf("not deterministic")
	}
}

func TestSubscriptionsExcluded(t *testing.T) {
	res := importSDL(t, `
type Query { a: Int }
type Subscription { onA: Int onB(x: Int): Int }
`)
	if got := names(res.Capabilities); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("capabilities %v, want [a]", got)
	}
	if res.Provenance["subscriptionType"] != "Subscription" {
		t.Errorf("provenance = %v", res.Provenance)
	}
}

func TestNoRootTypes(t *testing.T) {
	res := importSDL(t, `type Thing { a: Int }`)
	if len(res.Capabilities) != 0 || len(res.Warnings) != 1 || res.Warnings[0].Code != WarnNoRootType {
		t.Fatalf("caps %v, warnings %v", names(res.Capabilities), res.Warnings)
	}
}

func TestDeprecationAndOneOf(t *testing.T) {
	res := importSDL(t, `
input By @oneOf { id: ID login: String }
type Query {
  "Old way."
  old: Int @deprecated(reason: "Use new.")
  older: Int @deprecated
  user(by: By!, legacy: Boolean @deprecated(reason: "ignored")): String
}
`)
	if d := capNamed(t, res, "old").Description; d != "Old way.\n\nDeprecated: Use new." {
		t.Errorf("old description %q", d)
	}
	if d := capNamed(t, res, "older").Description; d != "Deprecated: No longer supported" {
		t.Errorf("older description %q", d)
	}
	s := schemaOf(t, capNamed(t, res, "user"))
	assertJSON(t, "legacy", s["properties"].(map[string]any)["legacy"], `{"type": ["boolean", "null"], "deprecated": true, "x-graphql-type": "Boolean"}`)
	assertJSON(t, "By", s["$defs"].(map[string]any)["By"], `{
  "type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1,
  "properties": {"id": {"type": ["string", "null"]}, "login": {"type": ["string", "null"]}}
}`)
}

func TestNoArgumentsSchema(t *testing.T) {
	res := importSDL(t, `type Query { now: String }`)
	assertJSON(t, "now", schemaOf(t, res.Capabilities[0]), `{"type": "object", "properties": {}, "additionalProperties": false}`)
}

func TestDuplicateFieldIsDroppedWithWarning(t *testing.T) {
	res := importSDL(t, `type Query { a: Int b: Thing }
type Thing {
  "first"
  x(arg: Int = 1): String!
  y: Int
  "second"
  x(arg: Int = 1): String!
}
enum E { A B A }
extend type Thing { y: Int }
`)
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.Code+" "+w.Location)
	}
	want := []string{
		WarnDuplicateField + " schema.graphql:7:3",
		WarnDuplicateEnumValue + " schema.graphql:9:14",
		WarnDuplicateField + " schema.graphql:10:21",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("warnings %q, want %q (%v)", got, want, res.Warnings)
	}
	if !strings.Contains(res.Warnings[0].Message, "schema.graphql:4:3 is kept") {
		t.Errorf("warning %q does not say which definition is kept", res.Warnings[0].Message)
	}
}

func TestConflictingDuplicateFieldIsAnError(t *testing.T) {
	_, err := importFile(t, "s.graphql", []byte("type Query {\n  a: Int\n  a: String\n}\n"))
	ie := inputError(t, err)
	if ie.File != "s.graphql" || ie.Line != 3 || ie.Col != 3 || !strings.Contains(ie.Msg, "can only be defined once") {
		t.Fatalf("error = %#v", ie)
	}
}

func TestBuiltinScalarRedeclared(t *testing.T) {
	res := importSDL(t, "scalar String\nscalar Int\ntype Query { a(s: String): Int }\n")
	if len(res.Warnings) != 2 || res.Warnings[0].Code != WarnBuiltinRedeclared || res.Warnings[0].Location != "schema.graphql:1:8" {
		t.Fatalf("warnings = %v", res.Warnings)
	}
	assertJSON(t, "a", schemaOf(t, res.Capabilities[0])["properties"], `{"s": {"type": ["string", "null"], "x-graphql-type": "String"}}`)
}

func TestSniffedFormats(t *testing.T) {
	sdl := "\xef\xbb\xbf  type Query { a: Int }"
	res, err := importFile(t, "schema.txt", []byte(sdl))
	if err != nil || res.Provenance["format"] != "sdl" {
		t.Fatalf("sdl: %v %v", err, res)
	}
	intro := `{"data":{"__schema":{"queryType":{"name":"Q"},"types":[{"kind":"OBJECT","name":"Q","fields":[{"name":"a","args":[],"type":{"kind":"SCALAR","name":"Int"}}],"interfaces":[]}]}}}`
	res, err = importFile(t, "schema", []byte("\n"+intro))
	if err != nil || res.Provenance["format"] != "introspection" || len(res.Capabilities) != 1 {
		t.Fatalf("introspection: %v %+v", err, res)
	}
}

func TestDigestIsOverBytesRead(t *testing.T) {
	data := []byte("type Query { a: Int }\n")
	res, err := importFile(t, "s.graphql", data)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != source.Digest(data) {
		t.Errorf("digest %s, want %s", res.Digest, source.Digest(data))
	}
}

func TestIntrospectionRoundTrip(t *testing.T) {
	// The same schema as SDL and as an introspection result gives the
	// same capabilities.
	sdl := endpointSDL + `
"Multi-line\ndescription."
scalar Cursor
input Deep { a: [[Deep!]] c: Cursor = "abc" e: Order = OLDEST }
extend type Query { deep(d: Deep, f: Float = -1.25): Int @deprecated(reason: "gone") }
`
	direct := importSDL(t, sdl)
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "s.graphql", Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	for _, wrap := range []bool{false, true} {
		var doc any = map[string]any{"__schema": introspectionResult(schema)}
		if wrap {
			doc = map[string]any{"data": doc}
		}
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		res, err := importFile(t, "schema.json", data)
		if err != nil {
			t.Fatal(err)
		}
		assertSameCapabilities(t, direct.Capabilities, res.Capabilities)
	}
}
