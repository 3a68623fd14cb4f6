package validate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/manifest"
)

func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("FORGE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if st, err := os.Stat(filepath.Join(dir, "openapi")); err != nil || !st.IsDir() {
		tb.Fatalf("corpus not found at %s (set FORGE_CORPUS): %v", dir, err)
	}
	return dir
}

var corpusReg struct {
	once sync.Once
	dir  string
	ids  []capability.Entry // one capability of each of six sources
	all  []capability.Entry
	err  error
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// corpusRegistry imports every OpenAPI description of the corpus into a
// registry (once per process) and returns its directory and a few of its
// capabilities.
func corpusRegistry(b *testing.B) (string, []capability.Entry) {
	b.Helper()
	corpus := filepath.Join(corpusDir(b), "openapi")
	corpusReg.once.Do(func() {
		dir := filepath.Join(shared.dir, "corpus-registry")
		reg, err := capability.Open(dir)
		if err != nil {
			corpusReg.err = err
			return
		}
		corpusReg.err = filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(corpus, p)
			name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(rel), "-"), "-")
			name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "-json"), "-yaml"), "-")
			if len(name) > 60 {
				name = name[:60]
			}
			return importInto(context.Background(), reg, name, filepath.Dir(p), filepath.Base(p))
		})
		if corpusReg.err != nil {
			return
		}
		entries, err := reg.Entries()
		if err != nil {
			corpusReg.err = err
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			src, _, _ := capability.SplitID(e.ID)
			if !seen[src] && len(corpusReg.ids) < 6 {
				seen[src] = true
				corpusReg.ids = append(corpusReg.ids, e)
			}
		}
		corpusReg.dir, corpusReg.all = dir, entries
		b.Logf("corpus registry: %d sources, %d capabilities", len(reg.Index.Sources), len(entries))
	})
	if corpusReg.err != nil {
		b.Fatal(corpusReg.err)
	}
	return corpusReg.dir, corpusReg.ids
}

// pick returns the capabilities of the i-th extension of a run: six
// capabilities spread over the registry.
func pick(all []capability.Entry, i int) []capability.Entry {
	out := make([]capability.Entry, 6)
	for j := range out {
		out[j] = all[(i*37+j*661)%len(all)]
	}
	return out
}

// realisticManifest is an extension using the given capabilities, with
// every kind of declaration and a plain-http egress; with findings, the
// first capability has a drifted digest and an unknown id close to the
// second is added.
func realisticManifest(ids []capability.Entry, findings bool) []byte {
	var caps strings.Builder
	for i, e := range ids {
		d := e.Digest
		if i == 0 && findings {
			d = "sha256:" + strings.Repeat("0", 64)
		}
		fmt.Fprintf(&caps, "  - id: %s\n    digest: %s\n", e.ID, d)
	}
	if findings {
		fmt.Fprintf(&caps, "  - id: %sx\n    digest: sha256:%s\n", ids[1].ID, strings.Repeat("1", 64))
	}
	return []byte(`apiVersion: forge.dev/v1
name: invoice-digest
version: 1.2.0
description: Every Monday, post my open invoices to Slack.
module:
  go: .
triggers:
  - name: weekly
    schedule:
      cron: "0 9 * * MON"
      timezone: Europe/Paris
  - name: invoice_created
    event:
      type: invoice.created
secrets:
  - name: SLACK_TOKEN
    description: Slack bot token
    hosts: [slack.com]
  - name: GITHUB_TOKEN
    hosts: [api.github.com]
egress:
  - https://slack.com/api/
  - https://api.github.com/
  - http://legacy.example.com/
config:
  - name: channel
    type: string
    default: "#finance"
capabilities:
` + caps.String() + `limits:
  memory: 32MiB
  timeout: 10s
  httpCalls: 20
`)
}

// BenchmarkCheck is Check of one realistic extension (an SDK module of
// 3.5 MB, six capabilities from different sources) against a registry
// holding every OpenAPI description of the corpus: "clean" has every
// capability pinned; "findings" adds a drifted digest and an unknown id,
// whose suggestions cost an edit distance over the registry's ids.
func BenchmarkCheck(b *testing.B) {
	dir, ids := corpusRegistry(b)
	reg, err := capability.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	module := buildGo(b, "testdata/rules/clean")
	for _, bc := range []struct {
		name  string
		src   []byte
		rules []string
	}{
		{"clean", realisticManifest(ids, false), []string{RulePlainHTTP}},
		{"findings", realisticManifest(ids, true), []string{RuleUnknownCapability, RuleDigestMismatch, RulePlainHTTP}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, diags, err := manifest.Parse("extension.yaml", bc.src)
			if err != nil {
				b.Fatal(err)
			}
			ext := Extension{Manifest: m, ManifestDiags: diags, ModulePath: "ext.wasm", Module: module}
			pol := testPolicy()
			if got := rulesOf(Check(ext, RegistryOf(reg), pol)); !sameSet(got, bc.rules) {
				b.Fatalf("got %v, want %v", got, bc.rules)
			}
			b.ReportAllocs()
			for b.Loop() {
				Check(ext, RegistryOf(reg), pol) // a new adapter: nothing cached but the decoded index
			}
		})
	}
}

func sameSet(a, b []string) bool {
	return strings.Join(slices.Sorted(slices.Values(a)), ",") == strings.Join(slices.Sorted(slices.Values(b)), ",")
}

// validateOne is the work of `forge validate` for one extension short of
// process start: open the registry, parse the manifest, read the module,
// check, and write the text report.
func validateOne(tb testing.TB, regDir string, r Registry, manifestPath, modulePath string, w io.Writer) {
	if r == nil {
		reg, err := capability.Open(regDir)
		if err != nil {
			tb.Fatal(err)
		}
		r = RegistryOf(reg)
	}
	m, diags, err := manifest.Load(manifestPath)
	if err != nil {
		tb.Fatal(err)
	}
	mod, err := os.ReadFile(modulePath)
	if err != nil {
		tb.Fatal(err)
	}
	ds := Check(Extension{Manifest: m, ManifestDiags: diags, ModulePath: modulePath, Module: mod}, r, testPolicy())
	if err := Write(w, FormatText, []Result{{Extension: m.Name, Path: manifestPath, Diagnostics: ds}}); err != nil {
		tb.Fatal(err)
	}
}

func writeExtension(b *testing.B, dir string, ids []capability.Entry) (string, string) {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	mp, wp := filepath.Join(dir, "extension.yaml"), filepath.Join(dir, "ext.wasm")
	if err := os.WriteFile(mp, realisticManifest(ids, true), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(wp, buildGo(b, "testdata/rules/clean"), 0o644); err != nil {
		b.Fatal(err)
	}
	return mp, wp
}

// BenchmarkValidateOne is one `forge validate` run over one extension,
// files and registry included (the target is 50 ms for the whole process).
func BenchmarkValidateOne(b *testing.B) {
	regDir, ids := corpusRegistry(b)
	mp, wp := writeExtension(b, b.TempDir(), ids)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		validateOne(b, regDir, nil, mp, wp, &buf)
	}
}

// BenchmarkValidate100 is one run over 100 extensions sharing one registry
// (the target is 1 s for the whole process).
func BenchmarkValidate100(b *testing.B) {
	regDir, _ := corpusRegistry(b)
	root := b.TempDir()
	var paths [][2]string
	for i := range 100 {
		mp, wp := writeExtension(b, filepath.Join(root, fmt.Sprintf("ext%03d", i)), pick(corpusReg.all, i))
		paths = append(paths, [2]string{mp, wp})
	}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		reg, err := capability.Open(regDir)
		if err != nil {
			b.Fatal(err)
		}
		r := RegistryOf(reg)
		for _, p := range paths {
			validateOne(b, regDir, r, p[0], p[1], &buf)
		}
	}
}
