package openapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/source"
)

// inputError asserts that err is a *source.InputError for file.
func inputError(t *testing.T, err error, file string) *source.InputError {
	t.Helper()
	var ie *source.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an *source.InputError", err, err)
	}
	if ie.File != file {
		t.Errorf("File = %q, want %q", ie.File, file)
	}
	return ie
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, file, doc string
		line, col       int      // 0: not checked
		msg             []string // substrings of Error()
	}{
		{
			name: "malformed JSON", file: "api.json",
			doc:  "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {\"title\": \"x\" \"version\": \"1\"}\n}",
			line: 3, col: 25, msg: []string{"api.json:3:25: malformed JSON", "hint:"},
		},
		{
			name: "truncated JSON", file: "api.json",
			doc: "{\"openapi\": \"3.0.3\", \"paths\": {", msg: []string{"malformed JSON", "unexpected end of JSON input"},
		},
		{
			name: "malformed YAML", file: "api.yaml",
			doc:  "openapi: 3.0.3\ninfo:\n  title: x\n  version: 1\npaths:\n  /a:\n    get: [\n",
			line: 7, msg: []string{"api.yaml:7: malformed YAML"},
		},
		{
			name: "YAML bad indentation", file: "api.yaml",
			doc:  "openapi: 3.0.3\ninfo:\n  title: x\n version: 1\n",
			line: 3, msg: []string{"api.yaml:3: malformed YAML"},
		},
		{
			name: "not an object", file: "api.json", doc: `["openapi"]`,
			msg: []string{"api.json: the document is a JSON array, not an object"},
		},
		{
			name: "YAML scalar", file: "api.yaml", doc: "just a string\n",
			msg: []string{"not a mapping"},
		},
		{
			name: "empty", file: "api.yaml", doc: "",
			msg: []string{"the document is empty"},
		},
		{
			name: "dangling $ref", file: "api.yaml",
			doc: "openapi: 3.0.3\n" + info + "paths:\n  /a:\n    get:\n      responses:\n        \"200\":\n          description: ok\n" +
				"          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Missing'\n",
			line: 12, col: 23, msg: []string{`dangling $ref "#/components/schemas/Missing"`, "hint: make the $ref point"},
		},
		{
			name: "dangling parameter $ref", file: "api.json",
			doc:  "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"x\", \"version\": \"1\"},\n \"paths\": {\"/a\": {\"get\": {\"parameters\": [{\"$ref\": \"#/components/parameters/Nope\"}], \"responses\": {}}}}}",
			line: 2, col: 51, msg: []string{`"#/components/parameters/Nope"`},
		},
		{
			name: "duplicate operationIds", file: "api.yaml",
			doc: "openapi: 3.0.3\n" + info + "paths:\n  /a:\n    get:\n      operationId: same\n      responses: {}\n" +
				"  /b:\n    post:\n      operationId: same\n      responses: {}\n",
			line: 10, col: 7, msg: []string{`duplicate operationId "same": GET /a (6:7) and POST /b (10:7)`, "rename one"},
		},
		{
			name: "swagger 1.2", file: "api.json", doc: `{"swagger": "1.2", "info": {}}`,
			line: 1, col: 2, msg: []string{`Swagger version "1.2" is not supported`, "hint: forge reads OpenAPI 3.0.x, 3.1.x and Swagger 2.0"},
		},
		{
			name: "swagger 1.x resource listing", file: "api.json", doc: `{"swaggerVersion": "1.2", "apis": []}`,
			msg: []string{"Swagger 1.x documents are not supported"},
		},
		{
			name: "no version", file: "api.yaml", doc: info + "paths: {}\n",
			msg: []string{`it has no "openapi" or "swagger" field`},
		},
		{
			name: "openapi 4.0", file: "api.yaml", doc: "openapi: '4.0'\n" + info,
			line: 1, col: 1, msg: []string{`OpenAPI version "4.0" is not supported`},
		},
		{
			name: "openapi 2.0", file: "api.yaml", doc: "openapi: 2.0.0\n" + info,
			msg: []string{`OpenAPI version "2.0.0" is not supported`},
		},
		{
			name: "unquoted YAML version", file: "api.yaml", doc: "info: {title: x, version: '1'}\nopenapi: 3.0\n",
			line: 2, msg: []string{`the "openapi" field must be a string`, "quote the version"},
		},
		{
			name: "paths is an array", file: "api.json", doc: `{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": []}`,
			msg: []string{"paths: a JSON array is not allowed here"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importString(t, tc.file, tc.doc)
			if err == nil {
				t.Fatal("no error")
			}
			ie := inputError(t, err, tc.file)
			if tc.line != 0 && (ie.Line != tc.line || (tc.col != 0 && ie.Col != tc.col)) {
				t.Errorf("position %d:%d, want %d:%d (%v)", ie.Line, ie.Col, tc.line, tc.col, err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Importer{}.Import(context.Background(), source.Spec{Name: "t", Location: "nope.yaml"}, source.Options{Dir: t.TempDir()})
	_ = inputError(t, err, "nope.yaml")
}

const petSchemas = `Pet:
  type: object
  properties:
    name: {type: string}
    owner: {$ref: 'people.yaml#/Person'}
`

const people = `Person: {type: object, properties: {name: {type: string}}}
`

func refDoc(ref string) string {
	return "openapi: 3.0.3\n" + info + "paths:\n  /pets:\n    post:\n      operationId: addPet\n      requestBody:\n        content:\n" +
		"          application/json:\n            schema: {$ref: '" + ref + "'}\n      responses: {\"200\": {description: ok}}\n"
}

func TestExternalRefRefused(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"api/api.yaml":     refDoc("schemas.yaml#/Pet"),
		"api/schemas.yaml": petSchemas,
		"api/people.yaml":  people,
	})
	_, err := Importer{}.Import(context.Background(), source.Spec{Name: "t", Location: "api/api.yaml"}, source.Options{Dir: dir})
	ie := inputError(t, err, "api/api.yaml")
	if !strings.Contains(ie.Msg, `external $ref "schemas.yaml#/Pet" is not allowed`) && !strings.Contains(ie.Msg, `schemas.yaml`) {
		t.Errorf("message %q", ie.Msg)
	}
	if !strings.Contains(ie.Hint, "--allow-external-refs") {
		t.Errorf("hint %q lacks --allow-external-refs", ie.Hint)
	}
	if ie.Line != 10 {
		t.Errorf("line %d, want 10", ie.Line)
	}
}

func TestExternalRefAllowedFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"api/api.yaml":     refDoc("schemas.yaml#/Pet"),
		"api/schemas.yaml": petSchemas,
		"api/people.yaml":  people,
	})
	spec := source.Spec{Name: "t", Location: "api/api.yaml", AllowExternalRefs: true}
	res, err := Importer{}.Import(context.Background(), spec, source.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := byName(t, res, "addPet")
	checkSchema(t, c)
	s := schemaOf(t, c)
	ref := at(t, s, "properties", "body", "$ref").(string)
	name := strings.TrimPrefix(ref, "#/$defs/")
	if got := at(t, s, "$defs", name, "properties", "owner", "$ref").(string); !strings.HasPrefix(got, "#/$defs/") {
		t.Errorf("owner = %v", got)
	}
	if len(s["$defs"].(map[string]any)) != 2 {
		t.Errorf("$defs = %v", s["$defs"])
	}

	// A missing external file is an input error naming it.
	writeFiles(t, dir, map[string]string{"api/api.yaml": refDoc("missing.yaml#/Pet")})
	_, err = Importer{}.Import(context.Background(), spec, source.Options{Dir: dir})
	ie := inputError(t, err, "api/api.yaml")
	if !strings.Contains(ie.Msg, "missing.yaml") {
		t.Errorf("message %q", ie.Msg)
	}
}

// serve serves files on a loopback listener.
func serve(t *testing.T, files map[string]string) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestExternalRefAllowedRemote(t *testing.T) {
	base := serve(t, map[string]string{
		"specs/api.yaml":     refDoc("schemas.yaml#/Pet"),
		"specs/schemas.yaml": petSchemas,
		"specs/people.yaml":  people,
	})
	loc := base + "/specs/api.yaml"
	spec := source.Spec{Name: "t", Location: loc, AllowExternalRefs: true, AllowPrivateNetwork: true}
	res, err := Importer{}.Import(context.Background(), spec, source.Options{Fetcher: source.NewFetcher(true)})
	if err != nil {
		t.Fatal(err)
	}
	c := byName(t, res, "addPet")
	checkSchema(t, c)
	if defs := schemaOf(t, c)["$defs"].(map[string]any); len(defs) != 2 {
		t.Errorf("$defs = %v", defs)
	}

	// The guard applies to the document's own $refs: a local document
	// referring to a loopback URL is refused without AllowPrivate.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"api.yaml": refDoc(base + "/specs/schemas.yaml#/Pet")})
	_, err = Importer{}.Import(context.Background(), source.Spec{Name: "t", Location: "api.yaml", AllowExternalRefs: true},
		source.Options{Dir: dir, Fetcher: source.NewFetcher(false)})
	ie := inputError(t, err, "api.yaml")
	if !strings.Contains(ie.Hint, "--allow-private-network") || ie.Line != 10 {
		t.Errorf("error %v (line %d) lacks the private-network hint or line 10", ie, ie.Line)
	}
}

func TestRemoteDocumentRefusedWithoutAllowPrivate(t *testing.T) {
	base := serve(t, map[string]string{"api.yaml": refDoc("#/components/schemas/Pet")})
	loc := base + "/api.yaml"
	_, err := Importer{}.Import(context.Background(), source.Spec{Name: "t", Location: loc}, source.Options{})
	ie := inputError(t, err, loc)
	if !strings.Contains(err.Error(), "--allow-private-network") {
		t.Errorf("error %q lacks --allow-private-network", ie)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
