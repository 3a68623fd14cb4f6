package graphql

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// fuzzImport writes data to dir/name and imports it, failing on anything
// but a clean result or an InputError.
func fuzzImport(t *testing.T, dir, name string, data []byte) {
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Importer{}.Import(context.Background(), source.Spec{Name: "fuzz", Kind: capability.KindGraphQL, Location: name}, source.Options{Dir: dir})
	if err != nil {
		var ie *source.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error is %T, want *source.InputError: %v", err, err)
		}
		if ie.Line < 0 || ie.Col < 0 || ie.Error() == "" {
			t.Fatalf("bad error %#v", ie)
		}
		return
	}
	seen := map[string]bool{}
	for _, c := range res.Capabilities {
		if err := c.Seal("fuzz"); err != nil {
			t.Fatalf("seal %s: %v", c.Name, err)
		}
		if seen[c.ID] {
			t.Fatalf("duplicate capability %s", c.ID)
		}
		seen[c.ID] = true
	}
}

// The fuzz targets write each input to a file and import it. Run them with
// a short minimization time, or the first new-coverage input is minimized
// for the default 60s before fuzzing goes on:
//
//	go test ./internal/source/graphql/ -run '^$' -fuzz '^FuzzImportSDL$' -fuzztime 45s -fuzzminimizetime 3s
func FuzzImportSDL(f *testing.F) {
	f.Add([]byte(endpointSDL))
	f.Add([]byte("type Query { a(x: [Int!]! = [1]): Int }\ntype Mutation { a: Int }"))
	f.Add([]byte("schema { query: Q }\ntype Q { a(i: I): Int }\ninput I { i: I j: [I!] = [] }"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzImport(t, dir, "fuzz.graphql", data)
	})
}

func FuzzImportIntrospection(f *testing.F) {
	f.Add([]byte(`{"__schema":{"queryType":{"name":"Query"},"types":[{"kind":"OBJECT","name":"Query","fields":[{"name":"a","args":[{"name":"x","type":{"kind":"NON_NULL","ofType":{"kind":"LIST","ofType":{"kind":"SCALAR","name":"Int"}}},"defaultValue":"[1]"}],"type":{"kind":"SCALAR","name":"Int"}}],"interfaces":[]}]}}`))
	f.Add([]byte(`{"data":{"__schema":{"queryType":null,"mutationType":{"name":"M"},"types":[{"kind":"OBJECT","name":"M","fields":[{"name":"b","args":[{"name":"i","type":{"kind":"INPUT_OBJECT","name":"I"}}],"type":{"kind":"SCALAR","name":"Int"}}]},{"kind":"INPUT_OBJECT","name":"I","inputFields":[{"name":"e","type":{"kind":"ENUM","name":"E"},"defaultValue":"A"}]},{"kind":"ENUM","name":"E","enumValues":[{"name":"A"}]}]}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzImport(t, dir, "fuzz.json", data)
	})
}
