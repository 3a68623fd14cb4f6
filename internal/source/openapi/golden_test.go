package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// golden is what a corpus file is checked against.
type golden struct {
	File         string            `json:"file"`
	Digest       string            `json:"digest"`
	Provenance   map[string]string `json:"provenance"`
	Capabilities int               `json:"capabilities"`
	Effects      map[string]int    `json:"effects"`
	Warnings     []string          `json:"warnings"`
	// Encoded is the digest of the sealed capabilities as the registry
	// writes them: any change to any capability changes it.
	Encoded string         `json:"encoded"`
	Sample  []goldenSample `json:"sample"`
}

type goldenSample struct {
	ID          string            `json:"id"`
	Effect      capability.Effect `json:"effect"`
	Target      capability.Target `json:"target"`
	Description string            `json:"description,omitempty"`
	SchemaBytes int               `json:"schemaBytes"`
	Schema      string            `json:"schema"` // the first 300 bytes
	Digest      string            `json:"digest"`
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(corpusDir(t), "openapi")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := filepath.Ext(p)
		if !d.IsDir() && (ext == ".json" || ext == ".yaml" || ext == ".yml") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 13 {
		t.Fatalf("found %d OpenAPI files in %s, want at least 13", len(files), dir)
	}
	return files
}

func TestCorpusGolden(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "openapi")
	for _, file := range corpusFiles(t) {
		t.Run(file, func(t *testing.T) {
			spec := source.Spec{Name: "corpus", Kind: capability.KindOpenAPI, Location: file}
			res, err := Importer{}.Import(context.Background(), spec, source.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(t, file, res)
			path := filepath.Join("testdata", "golden", strings.ReplaceAll(file, "/", "__")+".json")
			data, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, '\n')
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCorpusGolden -update)", err)
			}
			if !bytes.Equal(data, want) {
				var w golden
				_ = json.Unmarshal(want, &w)
				t.Errorf("%s differs from %s (count %d, want %d; encoded %s, want %s); run with -update and review the diff",
					file, path, got.Capabilities, w.Capabilities, got.Encoded, w.Encoded)
			}
		})
	}
}

func summarize(t *testing.T, file string, res *source.Result) golden {
	t.Helper()
	g := golden{
		File: file, Digest: res.Digest, Provenance: res.Provenance, Capabilities: len(res.Capabilities),
		Effects: map[string]int{}, Warnings: []string{}, Sample: []goldenSample{},
	}
	ids := map[string]bool{}
	for i := range res.Capabilities {
		c := &res.Capabilities[i]
		if err := c.Seal("corpus"); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !capability.ValidName(c.Name) {
			t.Errorf("invalid name %q", c.Name)
		}
		if ids[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		if c.Kind != capability.KindOpenAPI || c.Target.Method == "" || c.Target.Path == "" || c.Target.Server == "" {
			t.Errorf("%s: incomplete capability %+v", c.ID, c.Target)
		}
		g.Effects[string(c.Effect)]++
	}
	for _, w := range res.Warnings {
		g.Warnings = append(g.Warnings, w.Code+": "+w.String())
	}
	enc, err := capability.EncodeCapabilities(res.Capabilities)
	if err != nil {
		t.Fatal(err)
	}
	g.Encoded = source.Digest(enc)
	// A sample: the first three, the last, and every n-th in between.
	n := len(res.Capabilities)
	step := max(1, n/8)
	for i := 0; i < n; i++ {
		if i >= 3 && i != n-1 && i%step != 0 {
			continue
		}
		c := res.Capabilities[i]
		checkSchema(t, c)
		desc := c.Description
		if len(desc) > 120 {
			desc = desc[:120]
		}
		schema := string(c.InputSchema)
		if len(schema) > 300 {
			schema = schema[:300]
		}
		g.Sample = append(g.Sample, goldenSample{
			ID: c.ID, Effect: c.Effect, Target: c.Target, Description: strings.ToValidUTF8(desc, ""),
			SchemaBytes: len(c.InputSchema), Schema: strings.ToValidUTF8(schema, ""), Digest: c.Digest,
		})
	}
	return g
}
