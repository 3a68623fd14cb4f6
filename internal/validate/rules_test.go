package validate

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite the want.txt golden files of testdata/rules")

const rulesDir = "testdata/rules"

// caseDir returns the testdata directory of a rule's failing example.
func caseDir(id string) string { return strings.ReplaceAll(id, "/", "__") }

// loadCase checks the extension of one testdata/rules case the way
// `forge validate` does: the manifest (a *ParseError becomes its
// diagnostic), the module (built from Go source, read from a .wasm file,
// assembled from a .wasm.txt description, or absent), an optional
// baseline.yaml and optional policy.txt overrides.
func loadCase(t *testing.T, dir string) []Diagnostic {
	t.Helper()
	file := path.Join(dir, "extension.yaml")
	m, diags, err := manifest.Load(file)
	var perr *manifest.ParseError
	if errors.As(err, &perr) {
		return []Diagnostic{perr.Diagnostic()}
	}
	if err != nil {
		// Not a manifest at all: what forge validate reports for it.
		_, lerr := Load(filepath.FromSlash(dir), dir)
		var ie *InputError
		if !errors.As(lerr, &ie) {
			t.Fatalf("%s: %v, and Load gave %v", dir, err, lerr)
		}
		return []Diagnostic{InputDiagnostic(file, ie.Err)}
	}
	ext := Extension{ManifestPath: file, Manifest: m, ManifestDiags: diags}
	switch m.Module.Kind() {
	case "go":
		src := m.Module.Resolve(dir)
		if gos, _ := filepath.Glob(filepath.Join(filepath.FromSlash(src), "*.go")); len(gos) > 0 {
			ext.ModulePath = src
			ext.Module = buildGo(t, src)
		}
	case "wasm":
		p := m.Module.Resolve(dir)
		ext.ModulePath = p
		b, err := os.ReadFile(filepath.FromSlash(p))
		if errors.Is(err, fs.ErrNotExist) {
			if txt, terr := os.ReadFile(filepath.FromSlash(p) + ".txt"); terr == nil {
				b, err = assemble(string(txt))
			}
		}
		switch {
		case err == nil:
			ext.Module = b
		case errors.Is(err, fs.ErrNotExist):
			ext.ModulePath = "" // not built: no module checks
		default:
			t.Fatalf("%s: %v", p, err)
		}
	}
	if b := path.Join(dir, "baseline.yaml"); fileExists(b) {
		bm, _, err := manifest.Load(b)
		if err != nil {
			t.Fatal(err)
		}
		ext.Baseline, ext.BaselinePath = bm, b
	}
	pol := testPolicy()
	if txt, err := os.ReadFile(filepath.Join(dir, "policy.txt")); err == nil {
		if err := applyPolicy(&pol, string(txt)); err != nil {
			t.Fatalf("%s/policy.txt: %v", dir, err)
		}
	}
	return Check(ext, RegistryOf(testRegistry(t)), pol)
}

func fileExists(p string) bool {
	_, err := os.Stat(filepath.FromSlash(p))
	return err == nil
}

func caseNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(rulesDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// textReport renders ds as the text format, with the temporary registry
// directory replaced by $REGISTRY.
func textReport(t *testing.T, ds []Diagnostic) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, FormatText, []Result{{Diagnostics: ds}}); err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(buf.Bytes(), []byte(testRegistry(t).Dir), []byte("$REGISTRY"))
}

// TestRules checks every example extension under testdata/rules against
// its want.txt, and that the rule the case is named after fires (the
// "clean" case must have no findings at all).
func TestRules(t *testing.T) {
	for _, name := range caseNames(t) {
		t.Run(name, func(t *testing.T) {
			dir := path.Join(rulesDir, name)
			ds := loadCase(t, dir)
			got := textReport(t, ds)
			want := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, w) {
				t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s--- want\n%s", want, got, w)
			}
			if name == "clean" {
				if len(ds) != 0 {
					t.Errorf("clean extension has findings:\n%s", got)
				}
				return
			}
			rule := strings.ReplaceAll(name, "__", "/")
			if _, ok := LookupRule(rule); !ok {
				t.Fatalf("case %s is named after no rule", name)
			}
			if !slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Rule == rule }) {
				t.Errorf("rule %s does not fire on its example:\n%s", rule, got)
			}
			for _, d := range ds {
				r, ok := LookupRule(d.Rule)
				if !ok {
					t.Errorf("finding of unknown rule %s", d.Rule)
					continue
				}
				if d.Severity != r.Severity && d.Rule != RulePlainHTTP {
					t.Errorf("%s: severity %s, rule says %s", d.Rule, d.Severity, r.Severity)
				}
				if d.Rule == RuleInputUnreadable {
					continue // there is no file to point into
				}
				if d.Line <= 0 || d.Col <= 0 || d.File != path.Join(dir, "extension.yaml") {
					t.Errorf("%s: no position: %s", d.Rule, d)
				}
			}
		})
	}
}

// TestEveryRuleHasExample fails when a rule has no failing example, so
// that a rule whose check is removed fails its test.
func TestEveryRuleHasExample(t *testing.T) {
	cases := caseNames(t)
	for _, r := range Rules() {
		if !slices.Contains(cases, caseDir(r.ID)) {
			t.Errorf("rule %s has no example under %s/%s", r.ID, rulesDir, caseDir(r.ID))
		}
	}
}
