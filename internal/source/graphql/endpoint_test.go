package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// introspectionResult answers the full introspection query for schema the
// way a GraphQL server does: every named type (built-ins included), with
// fields and enum values including deprecated ones.
func introspectionResult(s *ast.Schema) map[string]any {
	names := make([]string, 0, len(s.Types))
	for n := range s.Types {
		names = append(names, n)
	}
	slices.Sort(names)
	var typeRef func(t *ast.Type) map[string]any
	typeRef = func(t *ast.Type) map[string]any {
		if t.NonNull {
			inner := *t
			inner.NonNull = false
			return map[string]any{"kind": "NON_NULL", "name": nil, "ofType": typeRef(&inner)}
		}
		if t.Elem != nil {
			return map[string]any{"kind": "LIST", "name": nil, "ofType": typeRef(t.Elem)}
		}
		return map[string]any{"kind": string(s.Types[t.NamedType].Kind), "name": t.NamedType, "ofType": nil}
	}
	optString := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	deprecated := func(dirs ast.DirectiveList) (bool, any) {
		reason, ok := deprecation(dirs)
		if !ok {
			return false, nil
		}
		return true, reason
	}
	inputValue := func(name, desc string, t *ast.Type, def *ast.Value) map[string]any {
		var dv any
		if def != nil {
			dv = def.String()
		}
		return map[string]any{"name": name, "description": optString(desc), "type": typeRef(t), "defaultValue": dv}
	}
	refs := func(defs []string) []any {
		out := []any{}
		for _, n := range defs {
			out = append(out, typeRef(ast.NamedType(n, nil)))
		}
		return out
	}

	types := []any{}
	for _, n := range names {
		d := s.Types[n]
		t := map[string]any{
			"kind": string(d.Kind), "name": d.Name, "description": optString(d.Description),
			"fields": nil, "inputFields": nil, "interfaces": nil, "enumValues": nil, "possibleTypes": nil,
		}
		switch d.Kind {
		case ast.Object, ast.Interface:
			fields := []any{}
			for _, f := range d.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				args := []any{}
				for _, a := range f.Arguments {
					args = append(args, inputValue(a.Name, a.Description, a.Type, a.DefaultValue))
				}
				isDep, reason := deprecated(f.Directives)
				fields = append(fields, map[string]any{
					"name": f.Name, "description": optString(f.Description), "args": args,
					"type": typeRef(f.Type), "isDeprecated": isDep, "deprecationReason": reason,
				})
			}
			t["fields"] = fields
			t["interfaces"] = refs(d.Interfaces)
			if d.Kind == ast.Interface {
				var possible []string
				for _, p := range s.PossibleTypes[d.Name] {
					if p.Kind == ast.Object {
						possible = append(possible, p.Name)
					}
				}
				t["possibleTypes"] = refs(possible)
			}
		case ast.Union:
			t["possibleTypes"] = refs(d.Types)
		case ast.Enum:
			values := []any{}
			for _, v := range d.EnumValues {
				isDep, reason := deprecated(v.Directives)
				values = append(values, map[string]any{"name": v.Name, "description": optString(v.Description), "isDeprecated": isDep, "deprecationReason": reason})
			}
			t["enumValues"] = values
		case ast.InputObject:
			fields := []any{}
			for _, f := range d.Fields {
				fields = append(fields, inputValue(f.Name, f.Description, f.Type, f.DefaultValue))
			}
			t["inputFields"] = fields
		}
		types = append(types, t)
	}

	dirNames := make([]string, 0, len(s.Directives))
	for n := range s.Directives {
		dirNames = append(dirNames, n)
	}
	slices.Sort(dirNames)
	directives := []any{}
	for _, n := range dirNames {
		d := s.Directives[n]
		args := []any{}
		for _, a := range d.Arguments {
			args = append(args, inputValue(a.Name, a.Description, a.Type, a.DefaultValue))
		}
		locs := []any{}
		for _, l := range d.Locations {
			locs = append(locs, string(l))
		}
		directives = append(directives, map[string]any{"name": d.Name, "description": optString(d.Description), "locations": locs, "args": args})
	}
	root := func(d *ast.Definition) any {
		if d == nil {
			return nil
		}
		return map[string]any{"name": d.Name}
	}
	return map[string]any{
		"queryType": root(s.Query), "mutationType": root(s.Mutation), "subscriptionType": root(s.Subscription),
		"types": types, "directives": directives,
	}
}

// introspectionServer serves a GraphQL endpoint for sdl that answers only
// valid queries: the request must be a JSON POST whose query validates
// against the schema and selects __schema.
func introspectionServer(t *testing.T, sdl string) *httptest.Server {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "server.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("test schema: %v", err)
	}
	answer := map[string]any{"data": map[string]any{"__schema": introspectionResult(schema)}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			w.WriteHeader(http.StatusMethodNotAllowed)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": "POST application/json only"}}})
			return
		}
		var req struct {
			Query         string `json:"query"`
			OperationName string `json:"operationName"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil || !strings.Contains(req.Query, "__schema") {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": "not an introspection query"}}})
			return
		}
		if _, errs := gqlparser.LoadQueryWithRules(schema, req.Query, nil); len(errs) > 0 {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
			return
		}
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const endpointSDL = `
"""A to-do item."""
type Todo { id: ID! title: String! done: Boolean! tags: [String!]! }
enum Order { NEWEST OLDEST }
input TodoFilter { done: Boolean text: String or: [TodoFilter!] }
input NewTodo { title: String! tags: [String!] = [] }
type Query {
  "Look up one to-do."
  todo(id: ID!): Todo
  todos(filter: TodoFilter, order: Order = NEWEST, first: Int = 20): [Todo!]!
  legacyTodos: [Todo!]! @deprecated(reason: "use todos")
}
type Mutation {
  "Create a to-do."
  createTodo(input: NewTodo!): Todo!
  deleteTodo(id: ID!): Boolean!
}
type Subscription { todoAdded: Todo! }
`

func TestImportLiveEndpoint(t *testing.T) {
	srv := introspectionServer(t, endpointSDL)
	url := srv.URL + "/graphql"
	var progress []string
	res, err := Importer{}.Import(context.Background(), source.Spec{Name: "todo", Kind: capability.KindGraphQL, Location: url},
		source.Options{Fetcher: &source.Fetcher{AllowPrivate: true}, Progress: func(m string) { progress = append(progress, m) }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]capability.Capability{}
	for _, c := range res.Capabilities {
		got[c.Name] = c
	}
	if len(got) != 5 {
		t.Fatalf("got %d capabilities, want 5 (3 queries, 2 mutations, no subscription): %v", len(got), names(res.Capabilities))
	}
	c := got["createTodo"]
	if c.Effect != capability.EffectWrite || c.Target != (capability.Target{Endpoint: url, Operation: "mutation", Field: "createTodo"}) {
		t.Errorf("createTodo = %+v", c)
	}
	if got["todo"].Effect != capability.EffectRead || got["todo"].Description != "Look up one to-do." {
		t.Errorf("todo = %+v", got["todo"])
	}
	if d := got["legacyTodos"].Description; d != "Deprecated: use todos" {
		t.Errorf("legacyTodos description = %q", d)
	}
	if res.Provenance["format"] != "endpoint" || res.Provenance["subscriptionType"] != "Subscription" {
		t.Errorf("provenance = %v", res.Provenance)
	}
	if !strings.HasPrefix(res.Digest, "sha256:") {
		t.Errorf("digest = %q", res.Digest)
	}
	if len(progress) < 3 || !strings.Contains(progress[len(progress)-1], "converting 5 fields") {
		t.Errorf("progress = %q", progress)
	}

	// The endpoint's answer must describe the same schema as the SDL.
	direct := importSDL(t, endpointSDL)
	for i := range direct.Capabilities {
		direct.Capabilities[i].Target.Endpoint = url
	}
	assertSameCapabilities(t, direct.Capabilities, res.Capabilities)
}

func TestImportLiveEndpointNilFetcherUsesSpec(t *testing.T) {
	srv := introspectionServer(t, endpointSDL)
	res, err := Importer{}.Import(context.Background(), source.Spec{Name: "todo", Location: srv.URL, AllowPrivateNetwork: true}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Capabilities) != 5 {
		t.Fatalf("got %d capabilities", len(res.Capabilities))
	}
}

func TestImportLiveEndpointRefusedWithoutAllowPrivate(t *testing.T) {
	srv := introspectionServer(t, endpointSDL)
	for name, opts := range map[string]source.Options{
		"fetcher":     {Fetcher: &source.Fetcher{}},
		"nil fetcher": {},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Importer{}.Import(context.Background(), source.Spec{Name: "todo", Location: srv.URL + "/graphql"}, opts)
			ie := inputError(t, err)
			if ie.File != srv.URL+"/graphql" || !strings.Contains(ie.Hint, "--allow-private-network") {
				t.Fatalf("error = %v (hint %q)", err, ie.Hint)
			}
		})
	}
}

func TestImportDocumentURLs(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "s", Input: endpointSDL})
	if err != nil {
		t.Fatal(err)
	}
	intro, err := json.Marshal(map[string]any{"__schema": introspectionResult(schema)})
	if err != nil {
		t.Fatal(err)
	}
	var posts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			posts++
			http.Error(w, "documents only", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case "/schema.graphql":
			_, _ = io.WriteString(w, endpointSDL)
		case "/schema.json":
			_, _ = w.Write(intro)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &source.Fetcher{AllowPrivate: true}
	for _, tc := range []struct{ path, format string }{{"/schema.graphql", "sdl"}, {"/schema.json?v=1", "introspection"}} {
		res, err := Importer{}.Import(context.Background(), source.Spec{Name: "todo", Location: srv.URL + tc.path}, source.Options{Fetcher: f})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if res.Provenance["format"] != tc.format || len(res.Capabilities) != 5 {
			t.Errorf("%s: format %q, %d capabilities", tc.path, res.Provenance["format"], len(res.Capabilities))
		}
		for _, c := range res.Capabilities {
			if c.Target.Endpoint != "" {
				t.Errorf("%s: %s has endpoint %q; documents have none", tc.path, c.Name, c.Target.Endpoint)
			}
		}
	}
	if posts != 0 {
		t.Errorf("document URLs were POSTed %d times", posts)
	}
}

func TestImportEndpointErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		hint    string
	}{
		{
			name:    "500",
			handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
			want:    "answered the introspection query with 500 Internal Server Error",
			hint:    ".graphql",
		},
		{
			name: "not JSON",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = io.WriteString(w, "<html><body>Welcome</body></html>")
			},
			want: "did not answer with JSON (text/html)",
			hint: "live GraphQL endpoint",
		},
		{
			name: "GraphQL errors",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"errors":[{"message":"GraphQL introspection is not allowed"}],"data":null}`)
			},
			want: "GraphQL introspection is not allowed",
			hint: "introspection may be disabled",
		},
		{
			name: "GraphQL errors with 400",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/graphql-response+json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"errors":[{"message":"Cannot query field \"__schema\""}]}`)
			},
			want: `400 Bad Request): Cannot query field "__schema"`,
			hint: "introspection may be disabled",
		},
		{
			name: "JSON but not introspection",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, `{"data":{"hello":"world"}}`)
			},
			want: "not a GraphQL introspection result",
			hint: "__schema",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := Importer{}.Import(context.Background(), source.Spec{Name: "x", Location: srv.URL + "/graphql"}, source.Options{Fetcher: &source.Fetcher{AllowPrivate: true}})
			ie := inputError(t, err)
			if ie.File != srv.URL+"/graphql" || !strings.Contains(ie.Msg, tc.want) || !strings.Contains(ie.Hint, tc.hint) {
				t.Fatalf("error = %v\nwant message containing %q and hint containing %q", err, tc.want, tc.hint)
			}
		})
	}
}

func TestImportEndpointSizeLimit(t *testing.T) {
	srv := introspectionServer(t, endpointSDL)
	_, err := Importer{}.Import(context.Background(), source.Spec{Name: "x", Location: srv.URL}, source.Options{Fetcher: &source.Fetcher{AllowPrivate: true, MaxBytes: 1024}})
	ie := inputError(t, err)
	if !strings.Contains(ie.Msg, "larger than the 1024-byte limit") {
		t.Fatalf("error = %v", err)
	}
}

func TestImportEndpointCanceled(t *testing.T) {
	srv := introspectionServer(t, endpointSDL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Importer{}.Import(ctx, source.Spec{Name: "x", Location: srv.URL}, source.Options{Fetcher: &source.Fetcher{AllowPrivate: true}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}
