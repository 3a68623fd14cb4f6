package mcp

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// FuzzToolsList checks that converting any tools/list result never panics,
// fails only with *source.InputError, and yields capabilities that seal.
// Seeds are in testdata/fuzz/FuzzToolsList.
func FuzzToolsList(f *testing.F) {
	f.Add([]byte(`{"tools":[{"name":"a","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]}`))
	f.Add([]byte(`{"tools":[{"name":"a b","title":"T","inputSchema":{"type":"string"}},{"name":"a"}],"nextCursor":"x"}`))
	f.Add([]byte(`{"tools":[{"name":"a"},{"name":"a"}]}`))
	f.Add([]byte(`{"tools":[{"name":"","inputSchema":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ConvertToolsList(data, "fuzz", capability.Target{Transport: "http", URL: "http://fuzz"})
		if err != nil {
			var ie *source.InputError
			if !errors.As(err, &ie) || ie.File != "fuzz" || ie.Msg == "" {
				t.Fatalf("error %T %v, want an *source.InputError naming fuzz", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range res.Capabilities {
			if !capability.ValidName(c.Name) || seen[c.Name] {
				t.Fatalf("capability name %q invalid or repeated", c.Name)
			}
			seen[c.Name] = true
			var schema map[string]json.RawMessage
			if err := json.Unmarshal(c.InputSchema, &schema); err != nil || schema == nil {
				t.Fatalf("capability %s: input schema %s is not an object", c.Name, c.InputSchema)
			}
			if err := c.Seal("s"); err != nil {
				t.Fatalf("seal %s: %v", c.Name, err)
			}
		}
		again, err := ConvertToolsList(data, "fuzz", capability.Target{Transport: "http", URL: "http://fuzz"})
		if err != nil || again.Digest != res.Digest {
			t.Fatalf("second conversion differs: %v %s %s", err, again.Digest, res.Digest)
		}
	})
}
