package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// corpusDir returns the shared corpus's graphql directory: $FORGE_CORPUS
// or ../../../../shared/corpus. A missing corpus fails the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FORGE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "corpus")
	}
	dir = filepath.Join(dir, "graphql")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("GraphQL corpus not found at %s (set FORGE_CORPUS): %v", dir, err)
	}
	return dir
}

func importCorpus(t testing.TB, file string) *source.Result {
	t.Helper()
	res, err := Importer{}.Import(context.Background(), source.Spec{Name: "corpus", Kind: capability.KindGraphQL, Location: file}, source.Options{Dir: corpusDir(t)})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return res
}

// goldenSamples are capabilities whose full sealed definition is kept in the
// golden file, besides an evenly spaced sample.
var goldenSamples = map[string][]string{
	"github-schema.graphql":     {"repository", "search", "createIssue", "addProjectV2ItemById", "updateEnterpriseDeployKeySetting"},
	"github-introspection.json": {"repository", "search", "createIssue", "addProjectV2ItemById", "markNotificationAsDone"},
	"saleor-schema.graphql":     {"products", "checkoutCreate", "productBulkCreate", "webhookEvents"},
}

type golden struct {
	File         string                       `json:"file"`
	Digest       string                       `json:"digest"`
	Provenance   map[string]string            `json:"provenance"`
	Capabilities int                          `json:"capabilities"`
	Warnings     []source.Warning             `json:"warnings"`
	Effects      map[string][]string          `json:"effects"`
	Samples      []goldenSample               `json:"samples"`
	Defs         map[string]int               `json:"defsPerSample"`
	Sealed       map[string]string            `json:"sealedDigestsOfSamples"`
	Targets      map[string]capability.Target `json:"targetsOfSamples"`
}

type goldenSample struct {
	ID          string          `json:"id"`
	Effect      string          `json:"effect"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"inputSchema"`
}

func TestCorpusGolden(t *testing.T) {
	dir := corpusDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	for _, want := range []string{"github-schema.graphql", "github-introspection.json", "saleor-schema.graphql"} {
		if !slices.Contains(files, want) {
			t.Fatalf("corpus file %s missing from %s", want, dir)
		}
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			res := importCorpus(t, file)
			got := goldenOf(t, file, res)
			data, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, '\n')
			path := filepath.Join("testdata", "golden", file+".json")
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
				if err := json.Unmarshal(want, &w); err != nil {
					t.Fatal(err)
				}
				t.Errorf("%s differs from %s: %d capabilities (want %d), warnings %v (want %v); run with -update and review the diff",
					file, path, got.Capabilities, w.Capabilities, got.Warnings, w.Warnings)
			}
		})
	}
}

func goldenOf(t *testing.T, file string, res *source.Result) golden {
	g := golden{
		File: file, Digest: res.Digest, Provenance: res.Provenance, Capabilities: len(res.Capabilities),
		Warnings: res.Warnings, Effects: map[string][]string{}, Defs: map[string]int{},
		Sealed: map[string]string{}, Targets: map[string]capability.Target{},
	}
	if g.Warnings == nil {
		g.Warnings = []source.Warning{}
	}
	sealed := make([]capability.Capability, len(res.Capabilities))
	seen := map[string]bool{}
	for i, c := range res.Capabilities {
		if err := c.Seal("x"); err != nil {
			t.Fatalf("seal %s: %v", c.Name, err)
		}
		if !capability.ValidName(c.Name) || c.Kind != capability.KindGraphQL || seen[c.ID] {
			t.Fatalf("bad capability %+v", c)
		}
		seen[c.ID] = true
		sealed[i] = c
		g.Effects[string(c.Effect)] = append(g.Effects[string(c.Effect)], c.Name)
	}
	for _, names := range g.Effects {
		sort.Strings(names)
	}
	sort.Slice(sealed, func(i, j int) bool { return sealed[i].ID < sealed[j].ID })
	pick := map[string]bool{}
	for _, n := range goldenSamples[file] {
		pick["x."+n] = true
	}
	const spread = 6
	for i := range spread {
		pick[sealed[i*len(sealed)/spread].ID] = true
	}
	for _, c := range sealed {
		if !pick[c.ID] {
			continue
		}
		delete(pick, c.ID)
		g.Samples = append(g.Samples, goldenSample{ID: c.ID, Effect: string(c.Effect), Description: c.Description, InputSchema: c.InputSchema})
		var s struct {
			Defs map[string]json.RawMessage `json:"$defs"`
		}
		if err := json.Unmarshal(c.InputSchema, &s); err != nil {
			t.Fatal(err)
		}
		g.Defs[c.ID] = len(s.Defs)
		g.Sealed[c.ID] = c.Digest
		g.Targets[c.ID] = c.Target
	}
	if len(pick) > 0 {
		t.Errorf("sample capabilities not found: %v", pick)
	}
	return g
}

// TestGitHubSDLAndIntrospectionAgree checks the two GitHub files against
// each other. They are not the same snapshot: the SDL (octokit/graphql-schema
// at 82ff2d4, 2025-02) is newer than the npm package's schema.json, so the
// name sets differ by exactly the fields below. Everything they share must
// come out the same way (name, effect, operation and argument names).
func TestGitHubSDLAndIntrospectionAgree(t *testing.T) {
	sdl := importCorpus(t, "github-schema.graphql")
	intro := importCorpus(t, "github-introspection.json")
	byName := func(r *source.Result) map[string]capability.Capability {
		m := map[string]capability.Capability{}
		for _, c := range r.Capabilities {
			m[c.Name] = c
		}
		return m
	}
	a, b := byName(sdl), byName(intro)
	var onlySDL, onlyIntro []string
	for n := range a {
		if _, ok := b[n]; !ok {
			onlySDL = append(onlySDL, n)
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			onlyIntro = append(onlyIntro, n)
		}
	}
	sort.Strings(onlySDL)
	sort.Strings(onlyIntro)
	wantSDL := []string{
		"accessUserNamespaceRepository", "addSubIssue", "id", "removeSubIssue", "reprioritizeSubIssue",
		"updateEnterpriseDeployKeySetting", "updateEnterpriseTwoFactorAuthenticationDisallowedMethodsSetting", "updateProjectV2Field",
	}
	wantIntro := []string{"markNotificationAsDone", "unsubscribeFromNotifications"}
	if !slices.Equal(onlySDL, wantSDL) || !slices.Equal(onlyIntro, wantIntro) {
		t.Errorf("only in SDL: %q\nwant %q\nonly in introspection: %q\nwant %q", onlySDL, wantSDL, onlyIntro, wantIntro)
	}
	if shared := len(a) - len(onlySDL); shared < 270 {
		t.Errorf("only %d capabilities in common", shared)
	}
	// The shared schema has the same duplicate-free shape: both sides give
	// the same effect, target and argument names for every shared field.
	for n, ca := range a {
		cb, ok := b[n]
		if !ok {
			continue
		}
		if ca.Effect != cb.Effect || ca.Target != cb.Target {
			t.Errorf("%s: SDL %s %+v, introspection %s %+v", n, ca.Effect, ca.Target, cb.Effect, cb.Target)
		}
		if pa, pb := propertyNames(t, ca), propertyNames(t, cb); !slices.Equal(pa, pb) && !argsChangedUpstream[n] {
			t.Errorf("%s: SDL arguments %v, introspection arguments %v", n, pa, pb)
		}
	}
	// The SDL's duplicated field is reported, not fatal.
	if len(sdl.Warnings) == 0 || sdl.Warnings[0].Code != WarnDuplicateField || sdl.Warnings[0].Location != "github-schema.graphql:15153:3" {
		t.Errorf("SDL warnings = %v", sdl.Warnings)
	}
	if len(intro.Warnings) != 0 {
		t.Errorf("introspection warnings = %v", intro.Warnings)
	}
}

// argsChangedUpstream are shared fields whose arguments differ between the
// two GitHub snapshots.
var argsChangedUpstream = map[string]bool{"securityAdvisories": true}

func propertyNames(t *testing.T, c capability.Capability) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(c.InputSchema, &s); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
