package validate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/forgehq/forge/internal/manifest"
)

func parse(t *testing.T, src string) *manifest.Manifest {
	t.Helper()
	m, diags, err := manifest.Parse("extension.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == SeverityError {
			t.Fatalf("test manifest: %s", d)
		}
	}
	return m
}

func rulesOf(ds []Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Rule)
	}
	return out
}

const header = `apiVersion: forge.dev/v1
name: ext
version: 1.0.0
description: Test.
module: {wasm: ext.wasm}
`

// TestGoBuiltModules checks modules built from Go source with the real
// toolchain: the SDK extension passes, os.ReadFile is caught naming its
// WASI imports, a missing handler is caught naming the export.
func TestGoBuiltModules(t *testing.T) {
	reg := RegistryOf(testRegistry(t))
	check := func(dir string) []Diagnostic {
		m, diags, err := manifest.Load(filepath.Join(dir, "extension.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return Check(Extension{Manifest: m, ManifestDiags: diags, ModulePath: dir + ".wasm", Module: buildGo(t, dir)}, reg, testPolicy())
	}
	if ds := check("testdata/rules/clean"); len(ds) != 0 {
		t.Errorf("clean SDK extension: %v", ds)
	}

	ds := check("testdata/rules/module__forbidden-import")
	var names []string
	for _, d := range ds {
		if d.Rule != RuleForbiddenImport {
			t.Errorf("unexpected %s", d)
			continue
		}
		if !strings.Contains(d.Message, "module testdata/rules/module__forbidden-import.wasm imports wasi_snapshot_preview1.") {
			t.Errorf("message does not name the module and the import: %s", d.Message)
		}
		if d.Line != 6 || d.Col != 7 {
			t.Errorf("not at the module line: %s", d)
		}
		names = append(names, d.Message)
	}
	if !slices.ContainsFunc(names, func(s string) bool { return strings.Contains(s, "wasi_snapshot_preview1.path_open:") }) {
		t.Errorf("path_open not reported: %v", names)
	}

	ds = check("testdata/rules/module__missing-export")
	if len(ds) != 1 || ds[0].Rule != RuleMissingExport || !strings.Contains(ds[0].Message, "forge_on_invoice_created") || ds[0].Line != 11 {
		t.Errorf("missing export: %v", ds)
	}
}

// TestAssembledModulesAreReal compiles every hand-assembled module of
// testdata/rules with wazero, so the module rules are proven on real
// modules, not on bytes only this package's reader accepts.
func TestAssembledModulesAreReal(t *testing.T) {
	files, err := filepath.Glob("testdata/rules/*/*.wasm.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no assembled modules: %v", err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := assemble(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := r.CompileModule(ctx, b); err != nil {
			t.Errorf("%s: wazero: %v", f, err)
		}
	}
}

func TestMistypedTriggerExport(t *testing.T) {
	m := parse(t, header+`triggers:
  - name: weekly
    schedule: {cron: "0 9 * * MON"}
`)
	b, err := assemble("memory\nfunc _initialize ->\nfunc forge_abi_version -> i32\nfunc forge_on_weekly i32 -> i32\n")
	if err != nil {
		t.Fatal(err)
	}
	ds := Check(Extension{Manifest: m, ModulePath: "ext.wasm", Module: b}, nil, Policy{})
	if len(ds) != 1 || ds[0].Rule != RuleMissingExport || !strings.Contains(ds[0].Message, "signature (i32) -> i32, want () -> i32") {
		t.Errorf("got %v", ds)
	}
}

func TestStrictPlainHTTP(t *testing.T) {
	m := parse(t, header+`triggers:
  - name: weekly
    schedule: {cron: "0 9 * * MON"}
egress:
  - http://api.example.com/
`)
	for _, strict := range []bool{false, true} {
		ds := Check(Extension{Manifest: m}, nil, Policy{Strict: strict})
		want := SeverityWarning
		if strict {
			want = SeverityError
		}
		if len(ds) != 1 || ds[0].Rule != RulePlainHTTP || ds[0].Severity != want {
			t.Errorf("strict=%v: %v", strict, ds)
		}
		if FailOn(ds, FailOnError) != strict {
			t.Errorf("strict=%v: FailOn(error) = %v", strict, !strict)
		}
	}
}

func TestTighterSchedule(t *testing.T) {
	for _, tc := range []struct {
		base, cron string
		want       bool
	}{
		{"0 9 * * MON", "0 9 * * MON,THU", true},         // smaller gap
		{"0 9 * * MON,WED", "0 9 * * MON,WED,FRI", true}, // same gap, more firings
		{"0 9 * * MON", "30 17 * * FRI", false},          // moved, as often
		{"0 9 * * *", "0 9 * * MON-FRI", false},          // less often
		{"*/30 * * * *", "*/30 * * * *", false},          // unchanged
		{"0 9 1 * *", "0 9 1,15 * *", true},              // twice a month
		{"0 */2 * * *", "0 1-23/2 * * *", false},         // same count, same gap
	} {
		trig := func(cron string) string {
			return header + "triggers:\n  - name: t\n    schedule: {cron: \"" + cron + "\"}\n"
		}
		ds := Check(Extension{Manifest: parse(t, trig(tc.cron)), Baseline: parse(t, trig(tc.base))}, nil, Policy{})
		got := slices.Contains(rulesOf(ds), RuleTighterSchedule)
		if got != tc.want {
			t.Errorf("%q -> %q: tighter = %v, want %v (%v)", tc.base, tc.cron, got, tc.want, ds)
		}
	}
}

func TestNilManifest(t *testing.T) {
	diags := []Diagnostic{
		{Rule: manifest.RuleSyntax, Severity: SeverityError, File: "b.yaml", Line: 1, Col: 1, Message: "x"},
		{Rule: manifest.RuleSyntax, Severity: SeverityError, File: "a.yaml", Line: 2, Col: 1, Message: "y"},
	}
	ds := Check(Extension{ManifestDiags: diags, Module: []byte("junk")}, nil, DefaultPolicy())
	if len(ds) != 2 || ds[0].File != "a.yaml" || !Unreadable(ds) {
		t.Errorf("got %v", ds)
	}
	if diags[0].File != "b.yaml" {
		t.Error("Check reordered its input")
	}
}

func TestUnreadable(t *testing.T) {
	m := parse(t, header+"triggers:\n  - name: t\n    event: {type: invoice.created}\n")
	ds := Check(Extension{Manifest: m, ModulePath: "ext.wasm", Module: []byte("\x00asm\x02\x00\x00\x00")}, nil, testPolicy())
	if !Unreadable(ds) || len(ds) != 1 || !strings.Contains(ds[0].Message, "byte offset 4") {
		t.Errorf("got %v", ds)
	}
	if Unreadable([]Diagnostic{{Rule: RuleIPLiteral}}) {
		t.Error("an ip literal is not unreadable input")
	}
}

func TestRegistryOf(t *testing.T) {
	reg := RegistryOf(testRegistry(t))
	d, ok, err := reg.Digest("billing.listInvoices")
	if err != nil || !ok || !strings.HasPrefix(d, "sha256:") {
		t.Errorf("Digest(billing.listInvoices) = %q, %v, %v", d, ok, err)
	}
	if _, ok, err := reg.Digest("billing.listInvoice"); ok || err != nil {
		t.Errorf("Digest(billing.listInvoice) = %v, %v", ok, err)
	}
	if s := reg.Suggest("billing.listInvoice"); len(s) == 0 || s[0] != "billing.listInvoices" {
		t.Errorf("Suggest = %v", s)
	}
	if s := reg.Suggest("billing.createInvoic"); len(s) == 0 || s[0] != "billing.createInvoice" {
		t.Errorf("Suggest without a lookup = %v", s)
	}
	if _, _, err := reg.Digest("corrupt.postMessage"); err == nil {
		t.Error("no error from a corrupt capability file")
	}
}

func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if r.Summary == "" || (r.Severity != SeverityError && r.Severity != SeverityWarning) {
			t.Errorf("rule %+v", r)
		}
		if strings.HasPrefix(r.ID, "escalation/") && r.Severity != SeverityWarning {
			t.Errorf("escalation %s must be a warning", r.ID)
		}
	}
	for _, r := range manifest.Rules() {
		if !seen[r.ID] {
			t.Errorf("manifest rule %s missing from Rules()", r.ID)
		}
	}
}
