package openapi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/forgehq/forge/internal/source"
)

// FuzzImport feeds arbitrary documents to the importer: it must never panic
// (a recovered panic is reported as an internal error, which fails too),
// must fail only with an *source.InputError, and must give capabilities that
// seal (valid names, input schemas that are JSON).
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","schema":{"$ref":"#/components/schemas/A"}}]}}},"components":{"schemas":{"A":{"nullable":true,"allOf":[{"$ref":"#/components/schemas/A"}]}}}}`))
	f.Add([]byte("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      parameters:\n        - {name: b, in: body, schema: {type: object}}\n"))
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks: {}\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		name := "fuzz.yaml"
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Importer{}.Import(context.Background(), source.Spec{Name: "f", Location: name}, source.Options{Dir: dir})
		if err != nil {
			var ie *source.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T) is not an InputError", err, err)
			}
			if ie.Err != nil && errors.Is(ie.Err, errInternal) {
				t.Fatalf("internal error: %v", ie.Err)
			}
			return
		}
		for i := range res.Capabilities {
			c := res.Capabilities[i]
			if err := c.Seal("f"); err != nil {
				t.Fatalf("seal: %v\n%s", err, c.InputSchema)
			}
		}
	})
}
