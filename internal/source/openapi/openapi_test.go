package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// importString writes doc to a file named name in a temporary directory and
// imports it.
func importString(t *testing.T, name, doc string) (*source.Result, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return Importer{}.Import(context.Background(), source.Spec{Name: "t", Kind: capability.KindOpenAPI, Location: name}, source.Options{Dir: dir})
}

func mustImport(t *testing.T, name, doc string) *source.Result {
	t.Helper()
	res, err := importString(t, name, doc)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	for i := range res.Capabilities {
		checkSchema(t, res.Capabilities[i])
	}
	return res
}

// checkSchema seals a copy of c and compiles its input schema as JSON Schema
// draft 2020-12.
func checkSchema(t *testing.T, c capability.Capability) {
	t.Helper()
	if err := c.Seal("t"); err != nil {
		t.Fatalf("seal %s: %v", c.Name, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.InputSchema))
	if err != nil {
		t.Fatalf("%s: schema is not JSON: %v", c.Name, err)
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	if err := comp.AddResource("mem:///"+c.Name+".json", doc); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	if _, err := comp.Compile("mem:///" + c.Name + ".json"); err != nil {
		t.Fatalf("%s: schema does not compile: %v\n%s", c.Name, err, c.InputSchema)
	}
}

func byName(t *testing.T, res *source.Result, name string) capability.Capability {
	t.Helper()
	for _, c := range res.Capabilities {
		if c.Name == name {
			return c
		}
	}
	var names []string
	for _, c := range res.Capabilities {
		names = append(names, c.Name)
	}
	t.Fatalf("no capability %q in %v", name, names)
	return capability.Capability{}
}

// schemaOf decodes a capability's input schema.
func schemaOf(t *testing.T, c capability.Capability) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.InputSchema, &m); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return m
}

// at follows a path of object keys and array indexes (as strings).
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for i, p := range path {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[p]
			if !ok {
				t.Fatalf("no %q at %s in %v", p, strings.Join(path[:i], "."), x)
			}
			v = next
		case []any:
			var n int
			if err := json.Unmarshal([]byte(p), &n); err != nil || n >= len(x) {
				t.Fatalf("bad index %q at %s", p, strings.Join(path[:i], "."))
			}
			v = x[n]
		default:
			t.Fatalf("cannot index %T with %q at %s", v, p, strings.Join(path[:i], "."))
		}
	}
	return v
}

func hasWarning(res *source.Result, code, substr string) bool {
	for _, w := range res.Warnings {
		if w.Code == code && strings.Contains(w.Message, substr) {
			return true
		}
	}
	return false
}

const info = `info: {title: T, version: "1.0"}
`

func TestNamingFallback(t *testing.T) {
	res := mustImport(t, "api.yaml", `openapi: 3.0.3
`+info+`paths:
  /pets/{id}:
    get: {responses: {"200": {description: ok}}}
    delete: {operationId: "remove pet!", responses: {"204": {description: ok}}}
  /pets/id:
    get: {responses: {"200": {description: ok}}}
  /pets:
    post: {operationId: get_pets_id_2, responses: {"201": {description: ok}}}
    get: {operationId: listPets, responses: {"200": {description: ok}}}
`)
	var got []string
	for _, c := range res.Capabilities {
		got = append(got, c.Target.Method+" "+c.Target.Path+" = "+c.Name)
	}
	want := []string{
		"GET /pets = listPets",
		"POST /pets = get_pets_id_2",
		"GET /pets/id = get_pets_id",
		"GET /pets/{id} = get_pets_id_3",
		"DELETE /pets/{id} = remove_pet",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("names:\n got %q\nwant %q", got, want)
	}
	if !hasWarning(res, CodeName, `operationId "remove pet!" is not a valid capability name; using "remove_pet"`) {
		t.Errorf("no warning for the sanitized operationId: %v", res.Warnings)
	}
	if !hasWarning(res, CodeName, `using "get_pets_id_3"`) {
		t.Errorf("no warning for the suffixed name: %v", res.Warnings)
	}
}

func TestGeneratedName(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/pets/{id}", "get_pets_id"},
		{"DELETE", "/", "delete"},
		{"POST", "/Users/{userId}/Photos.json", "post_users_userid_photos_json"},
		{"PUT", "/a--b//c", "put_a_b_c"},
	} {
		if got := generatedName(tc.method, tc.path); got != tc.want {
			t.Errorf("generatedName(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
		if !capability.ValidName(generatedName(tc.method, tc.path)) {
			t.Errorf("generatedName(%s %s) is not a valid name", tc.method, tc.path)
		}
	}
}

func TestEffects(t *testing.T) {
	res := mustImport(t, "api.yaml", `openapi: 3.0.3
`+info+`paths:
  /a:
    get: {operationId: getA, responses: {"200": {description: ok}}}
    head: {operationId: headA, responses: {"200": {description: ok}}}
    options: {operationId: optionsA, responses: {"200": {description: ok}}}
    post: {operationId: postA, responses: {"200": {description: ok}}}
    put: {operationId: putA, responses: {"200": {description: ok}}}
    patch: {operationId: patchA, responses: {"200": {description: ok}}}
    delete: {operationId: deleteA, responses: {"200": {description: ok}}}
  /search:
    post: {operationId: search, x-forge-effect: read, responses: {"200": {description: ok}}}
  /reset:
    get: {operationId: reset, x-forge-effect: Destructive, responses: {"200": {description: ok}}}
  /bad:
    post: {operationId: bad, x-forge-effect: explode, responses: {"200": {description: ok}}}
    put: {operationId: bad2, x-forge-effect: 3, responses: {"200": {description: ok}}}
`)
	want := map[string]capability.Effect{
		"getA": "read", "headA": "read", "optionsA": "read",
		"postA": "write", "putA": "write", "patchA": "write", "deleteA": "destructive",
		"search": "read", "reset": "destructive", "bad": "write", "bad2": "write",
	}
	for name, effect := range want {
		if got := byName(t, res, name).Effect; got != effect {
			t.Errorf("%s: effect %s, want %s", name, got, effect)
		}
	}
	if !hasWarning(res, CodeEffect, `unknown effect "explode"`) {
		t.Errorf("no warning for the invalid x-forge-effect: %v", res.Warnings)
	}
	if !hasWarning(res, CodeEffect, "not 3") {
		t.Errorf("no warning for the non-string x-forge-effect: %v", res.Warnings)
	}
}

func TestParameterMergeAndLayout(t *testing.T) {
	res := mustImport(t, "api.yaml", `openapi: 3.0.3
`+info+`servers: [{url: "https://{region}.example.com/v1", variables: {region: {default: eu}}}]
paths:
  /pets/{id}:
    servers: [{url: https://path.example.com}]
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
      - {name: limit, in: query, description: from the path, schema: {type: integer}}
      - {name: X-Trace, in: header, schema: {type: string}}
    get:
      operationId: getPet
      summary: "  Get a pet  "
      description: |
        Returns the pet.
      parameters:
        - {name: limit, in: query, required: true, description: from the operation, schema: {type: integer, maximum: 10}}
        - {name: x-trace, in: header, deprecated: true, schema: {type: string}}
        - {name: session, in: cookie, example: abc, schema: {type: string}}
      responses: {"200": {description: ok}}
    put:
      operationId: putPet
      servers: [{url: https://op.example.com}]
      requestBody:
        required: true
        description: The pet.
        content:
          text/plain: {schema: {type: string}}
          application/merge-patch+json: {schema: {type: object, properties: {merge: {type: string}}}}
          application/json; charset=utf-8: {schema: {type: object, properties: {name: {type: string}}}}
      responses: {"200": {description: ok}}
  /other:
    post:
      operationId: other
      requestBody:
        content:
          multipart/form-data: {schema: {type: object, properties: {file: {type: string, format: binary}}}}
          application/x-www-form-urlencoded: {schema: {type: object, properties: {form: {type: string}}}}
      responses: {"200": {description: ok}}
`)
	get := byName(t, res, "getPet")
	s := schemaOf(t, get)
	if s["additionalProperties"] != false || s["type"] != "object" {
		t.Errorf("root: %v", s)
	}
	if got := at(t, s, "required"); !reflect.DeepEqual(got, []any{"path", "query"}) {
		t.Errorf("required = %v", got)
	}
	if got := at(t, s, "properties", "path", "required"); !reflect.DeepEqual(got, []any{"id"}) {
		t.Errorf("path required = %v", got)
	}
	if got := at(t, s, "properties", "query", "properties", "limit"); !reflect.DeepEqual(got, map[string]any{"type": "integer", "maximum": 10.0, "description": "from the operation"}) {
		t.Errorf("merged limit = %v", got)
	}
	if got := at(t, s, "properties", "query", "required"); !reflect.DeepEqual(got, []any{"limit"}) {
		t.Errorf("query required = %v", got)
	}
	headers := at(t, s, "properties", "header", "properties").(map[string]any)
	if len(headers) != 1 || headers["x-trace"] == nil || at(t, headers, "x-trace", "deprecated") != true {
		t.Errorf("headers (case-insensitive merge) = %v", headers)
	}
	if got := at(t, s, "properties", "cookie", "properties", "session", "examples"); !reflect.DeepEqual(got, []any{"abc"}) {
		t.Errorf("cookie example = %v", got)
	}
	if get.Description != "Get a pet\n\nReturns the pet." {
		t.Errorf("description = %q", get.Description)
	}
	if get.Target != (capability.Target{Server: "https://path.example.com", Method: "GET", Path: "/pets/{id}"}) {
		t.Errorf("target = %+v", get.Target)
	}

	put := byName(t, res, "putPet")
	ps := schemaOf(t, put)
	if got := at(t, ps, "properties", "body"); !reflect.DeepEqual(got, map[string]any{
		"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "description": "The pet.",
	}) {
		t.Errorf("body (application/json first) = %v", got)
	}
	if got := at(t, ps, "required"); !reflect.DeepEqual(got, []any{"body", "path"}) {
		t.Errorf("put required = %v", got)
	}
	if put.Target.Server != "https://op.example.com" {
		t.Errorf("operation server = %q", put.Target.Server)
	}
	other := byName(t, res, "other")
	if got := at(t, schemaOf(t, other), "properties", "body", "properties"); got.(map[string]any)["form"] == nil {
		t.Errorf("body (urlencoded before multipart) = %v", got)
	}
	if other.Target.Server != "https://{region}.example.com/v1" {
		t.Errorf("templated document server = %q", other.Target.Server)
	}
}

func TestNullableConversion(t *testing.T) {
	res := mustImport(t, "api.yaml", `openapi: 3.0.3
`+info+`paths:
  /a:
    post:
      operationId: a
      requestBody:
        content:
          application/json:
            schema:
              type: object
              xml: {name: a}
              properties:
                s: {type: string, nullable: true, example: hi}
                e: {type: string, nullable: true, enum: [x, y]}
                c: {nullable: true, allOf: [{$ref: "#/components/schemas/C"}]}
                n: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 5}
                plain: {type: string}
      responses: {"200": {description: ok}}
components:
  schemas:
    C: {type: object, discriminator: {propertyName: kind}, properties: {kind: {type: string}}}
`)
	body := at(t, schemaOf(t, byName(t, res, "a")), "properties", "body").(map[string]any)
	if _, ok := body["xml"]; ok {
		t.Errorf("xml kept: %v", body)
	}
	props := body["properties"].(map[string]any)
	if got := props["s"]; !reflect.DeepEqual(got, map[string]any{"type": []any{"string", "null"}, "examples": []any{"hi"}}) {
		t.Errorf("nullable string = %v", got)
	}
	if got := at(t, props, "e", "enum"); !reflect.DeepEqual(got, []any{"x", "y", nil}) {
		t.Errorf("nullable enum = %v", got)
	}
	if got := at(t, props, "c", "anyOf", "1"); !reflect.DeepEqual(got, map[string]any{"type": "null"}) {
		t.Errorf("nullable allOf = %v", props["c"])
	}
	if got := at(t, props, "c", "anyOf", "0", "allOf", "0", "$ref"); got != "#/$defs/C" {
		t.Errorf("allOf ref = %v", got)
	}
	if got := props["n"]; !reflect.DeepEqual(got, map[string]any{"type": "number", "exclusiveMinimum": 0.0, "maximum": 5.0}) {
		t.Errorf("exclusive bound = %v", got)
	}
	if got := props["plain"]; !reflect.DeepEqual(got, map[string]any{"type": "string"}) {
		t.Errorf("plain = %v", got)
	}
	def := at(t, schemaOf(t, byName(t, res, "a")), "$defs", "C").(map[string]any)
	if _, ok := def["discriminator"]; ok {
		t.Errorf("discriminator kept: %v", def)
	}

	// OpenAPI 3.1 has no nullable: type arrays pass through.
	res31 := mustImport(t, "api31.yaml", `openapi: 3.1.0
`+info+`paths:
  /a:
    post:
      operationId: a
      requestBody:
        content:
          application/json:
            schema: {type: [string, "null"], examples: [x], exclusiveMinimum: 3}
      responses: {"200": {description: ok}}
`)
	if got := at(t, schemaOf(t, byName(t, res31, "a")), "properties", "body"); !reflect.DeepEqual(got, map[string]any{
		"type": []any{"string", "null"}, "examples": []any{"x"}, "exclusiveMinimum": 3.0,
	}) {
		t.Errorf("3.1 body = %v", got)
	}
}

func TestDefsCycles(t *testing.T) {
	res := mustImport(t, "api.json", `{"openapi": "3.0.0", "info": {"title": "T", "version": "1"},
  "paths": {"/a": {"post": {"operationId": "a",
    "parameters": [{"name": "q", "in": "query", "schema": {"$ref": "#/components/schemas/Props"}}],
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Account"}}}},
    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unused"}}}}}}}},
  "components": {"schemas": {
    "Account": {"type": "object", "properties": {"card": {"$ref": "#/components/schemas/Card"}}},
    "Card": {"type": "object", "properties": {"account": {"anyOf": [{"$ref": "#/components/schemas/Account"}, {"type": "string"}]}}},
    "Props": {"type": "object", "properties": {"not": {"$ref": "#/components/schemas/Props"}}, "additionalProperties": {"$ref": "#/components/schemas/Props"}},
    "Unused": {"type": "string"}
  }}}`)
	s := schemaOf(t, byName(t, res, "a"))
	defs := s["$defs"].(map[string]any)
	var names []string
	for k := range defs {
		names = append(names, k)
	}
	if len(defs) != 3 || defs["Account"] == nil || defs["Card"] == nil || defs["Props"] == nil {
		t.Fatalf("$defs = %v (want Account, Card, Props)", names)
	}
	if got := at(t, defs, "Card", "properties", "account", "anyOf", "0", "$ref"); got != "#/$defs/Account" {
		t.Errorf("cycle ref = %v", got)
	}
	if got := at(t, defs, "Props", "additionalProperties", "$ref"); got != "#/$defs/Props" {
		t.Errorf("self-cycle ref = %v", got)
	}
	if got := at(t, s, "properties", "body", "$ref"); got != "#/$defs/Account" {
		t.Errorf("body ref = %v", got)
	}
}

func TestWebhooksAndCallbacksExcluded(t *testing.T) {
	res := mustImport(t, "api.yaml", `openapi: 3.1.0
`+info+`webhooks:
  newPet:
    post: {operationId: newPetHook, responses: {"200": {description: ok}}}
paths:
  /subscribe:
    post:
      operationId: subscribe
      callbacks:
        onEvent:
          "{$request.body#/url}":
            post: {operationId: eventCallback, responses: {"200": {description: ok}}}
      responses: {"200": {description: ok}}
`)
	if len(res.Capabilities) != 1 || res.Capabilities[0].Name != "subscribe" {
		t.Fatalf("capabilities = %+v", res.Capabilities)
	}
	res = mustImport(t, "hooks.json", `{"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {},
	  "x-webhooks": {"push": {"post": {"operationId": "push", "responses": {"200": {"description": "ok"}}}}}}`)
	if len(res.Capabilities) != 0 {
		t.Fatalf("x-webhooks imported: %+v", res.Capabilities)
	}
	res = mustImport(t, "nopaths.yaml", "openapi: 3.1.0\n"+info)
	if len(res.Capabilities) != 0 || res.Provenance["openapi"] != "3.1.0" {
		t.Fatalf("no paths: %+v", res)
	}
}

func TestSwagger2(t *testing.T) {
	res := mustImport(t, "swagger.json", `{
  "swagger": "2.0",
  "info": {"title": "Old", "version": "0.1"},
  "host": "api.example.com", "basePath": "/v1", "schemes": ["https", "http"],
  "consumes": ["application/json"],
  "paths": {
    "/pets/{id}": {
      "parameters": [{"name": "id", "in": "path", "required": true, "type": "string"}],
      "put": {"operationId": "updatePet",
        "parameters": [{"name": "pet", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Pet"}},
                       {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "csv"}],
        "responses": {"200": {"description": "ok"}}},
      "post": {"operationId": "uploadPhoto", "consumes": ["multipart/form-data"],
        "parameters": [{"name": "photo", "in": "formData", "type": "file", "required": true}],
        "responses": {"200": {"description": "ok"}}}
    }
  },
  "definitions": {"Pet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "parent": {"$ref": "#/definitions/Pet"}}}}
}`)
	if res.Provenance["openapi"] != "2.0" || res.Provenance["title"] != "Old" {
		t.Errorf("provenance = %v", res.Provenance)
	}
	up := byName(t, res, "updatePet")
	if up.Target != (capability.Target{Server: "https://api.example.com/v1", Method: "PUT", Path: "/pets/{id}"}) {
		t.Errorf("target = %+v", up.Target)
	}
	s := schemaOf(t, up)
	if got := at(t, s, "properties", "body", "$ref"); got != "#/$defs/Pet" {
		t.Errorf("body = %v", got)
	}
	if got := at(t, s, "$defs", "Pet", "properties", "parent", "$ref"); got != "#/$defs/Pet" {
		t.Errorf("Pet.parent = %v", got)
	}
	if got := at(t, s, "properties", "query", "properties", "tags", "items", "type"); got != "string" {
		t.Errorf("tags = %v", got)
	}
	if got := at(t, s, "properties", "path", "properties", "id", "type"); got != "string" {
		t.Errorf("path-level id = %v", got)
	}
	photo := at(t, schemaOf(t, byName(t, res, "uploadPhoto")), "properties", "body", "properties", "photo").(map[string]any)
	if photo["type"] != "string" || photo["format"] != "binary" {
		t.Errorf("file upload = %v", photo)
	}
}

func TestDeterministicAndProgress(t *testing.T) {
	doc := `openapi: 3.0.3
` + info + `paths:
  /b: {get: {parameters: [{name: z, in: query, schema: {$ref: "#/components/schemas/Z"}}, {name: a, in: query, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
  /a: {get: {responses: {"200": {description: ok}}}, post: {requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Y"}}}}, responses: {"200": {description: ok}}}}
components:
  schemas:
    Y: {type: object, properties: {z: {$ref: "#/components/schemas/Z"}, y: {$ref: "#/components/schemas/Y"}}}
    Z: {type: object, properties: {y: {$ref: "#/components/schemas/Y"}}}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var progress []string
	opts := source.Options{Dir: dir, Progress: func(msg string) { progress = append(progress, msg) }}
	spec := source.Spec{Name: "t", Location: "api.yaml"}
	first, err := Importer{}.Import(context.Background(), spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Digest != source.Digest([]byte(doc)) {
		t.Errorf("digest = %s", first.Digest)
	}
	for range 5 {
		again, err := Importer{}.Import(context.Background(), spec, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("imports differ:\n%+v\n%+v", first.Capabilities, again.Capabilities)
		}
	}
	joined := strings.Join(progress, "\n")
	for _, want := range []string{"reading api.yaml", "parsing", "validating", "converting 3 operations"} {
		if !strings.Contains(joined, want) {
			t.Errorf("progress %q lacks %q", joined, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Importer{}).Import(ctx, spec, source.Options{Dir: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: %v", err)
	}
}
