package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/forgehq/forge/internal/server/servertest"
)

var update = flag.Bool("update", false, "rewrite testdata/ from internal/server/servertest")

// TestFixtures: the registry and push body bench/server.sh sends are the
// server tests' fixtures (servertest), so they keep validating as the
// server's checks change. go test ./bench/loadgen -update rewrites them.
func TestFixtures(t *testing.T) {
	idx, files := servertest.Registry()
	for name, v := range map[string]any{
		"registry.json": map[string]any{"index": idx, "files": files},
		"bundle.json":   servertest.PushBody("bench-ext", "1.0.0"),
	} {
		want, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from servertest's fixture; run: go test ./bench/loadgen -update", path)
		}
	}
}
