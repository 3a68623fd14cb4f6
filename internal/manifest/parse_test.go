package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/wasm"
)

var update = flag.Bool("update", false, "rewrite golden files (testdata/*/*.golden*, docs/extension.schema.json)")

// goldenView is what a valid manifest's golden file records: the Manifest,
// and for each schedule its minimum interval and next firings after a fixed
// instant (so that a wrong parse of cron or timezone shows).
type goldenView struct {
	Manifest  *Manifest                 `json:"manifest"`
	Schedules map[string]goldenSchedule `json:"schedules,omitempty"`
	Exports   []string                  `json:"exports"`
}

type goldenSchedule struct {
	MinInterval string   `json:"minInterval"`
	Next        []string `json:"next"`
}

var goldenStart = time.Date(2024, 3, 29, 12, 0, 0, 0, time.UTC)

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestValidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("want valid manifests in testdata/valid, got %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			m, diags, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diags {
				t.Errorf("unexpected diagnostic: %s", d)
			}
			view := goldenView{Manifest: m, Exports: []string{}, Schedules: map[string]goldenSchedule{}}
			for _, tr := range m.Triggers {
				view.Exports = append(view.Exports, wasm.TriggerExport(tr.Name))
			}
			for _, tr := range m.Triggers {
				if tr.Schedule == nil {
					continue
				}
				gs := goldenSchedule{MinInterval: tr.Schedule.Spec.MinInterval().String()}
				at := goldenStart
				for range 3 {
					at = tr.Schedule.Next(at)
					gs.Next = append(gs.Next, at.Format(time.RFC3339))
				}
				view.Schedules[tr.Name] = gs
			}
			got, err := json.MarshalIndent(view, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden.json", append(got, '\n'))
		})
	}
}

// formatDiagnostics renders findings one a line for golden files.
func formatDiagnostics(diags []Diagnostic, err error) []byte {
	var b bytes.Buffer
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			fmt.Fprintf(&b, "error (not a *ParseError): %v\n", err)
		} else {
			fmt.Fprintf(&b, "parse error %d:%d: %s\n", pe.Line, pe.Col, pe.Msg)
		}
	}
	for _, d := range diags {
		fmt.Fprintf(&b, "%s %d:%d %s: %s\n", d.Rule, d.Line, d.Col, d.Severity, d.Message)
		if d.Hint != "" {
			fmt.Fprintf(&b, "    hint: %s\n", d.Hint)
		}
	}
	return b.Bytes()
}

func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) < 20 {
		t.Fatalf("want invalid manifests in testdata/invalid, got %d (%v)", len(files), err)
	}
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			m, diags, err := Load(file)
			if err == nil && len(diags) == 0 {
				t.Fatal("no diagnostics and no error for an invalid manifest")
			}
			if err == nil && m == nil {
				t.Fatal("nil Manifest without an error")
			}
			if err != nil && (m != nil || diags != nil) {
				t.Fatal("a ParseError came with a Manifest or diagnostics")
			}
			for _, d := range diags {
				if !known[d.Rule] {
					t.Errorf("diagnostic with an undeclared rule: %s", d)
				}
				if d.Line < 1 || d.Col < 1 || d.File != file || d.Message == "" {
					t.Errorf("diagnostic without a full position or message: %+v", d)
				}
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden.txt", formatDiagnostics(diags, err))
		})
	}
}

func TestRulesHaveDescriptions(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if !strings.HasPrefix(r.ID, "manifest/") || r.Summary == "" || (r.Severity != SeverityError && r.Severity != SeverityWarning) {
			t.Errorf("bad rule %+v", r)
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
	}
	// Every rule but the syntax one (a ParseError) is exercised by a golden file.
	var all bytes.Buffer
	files, _ := filepath.Glob("testdata/invalid/*.golden.txt")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	for id := range seen {
		if id != RuleSyntax && !bytes.Contains(all.Bytes(), []byte(id+" ")) {
			t.Errorf("rule %s is not exercised by any testdata/invalid file", id)
		}
	}
}

func TestDiagnosticPositionsPointAtTheProblem(t *testing.T) {
	src := "apiVersion: forge.dev/v1\nname: ext\nversion: 1.0.0\ndescription: d\nmodule: {go: .}\ntriggers:\n  - name: weekly\n    schedule:\n      cron: \"0 9 * * MOM\"\n"
	_, diags, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 {
		t.Fatalf("want 1 diagnostic, got %v", diags)
	}
	// Line 9, `      cron: "0 9 * * MOM"`: the quote is column 13, MOM column 22.
	if d := diags[0]; d.Rule != RuleInvalidCron || d.Line != 9 || d.Col != 22 {
		t.Errorf("got %s, want manifest/invalid-cron at 9:22", d)
	}
	if got := diags[0].String(); !strings.HasPrefix(got, "x.yaml:9:22: error: ") {
		t.Errorf("String() = %q", got)
	}
}

func TestManifestAccessors(t *testing.T) {
	m, _, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if tr := m.Trigger("weekly"); tr == nil || tr.Schedule == nil || wasm.TriggerExport(tr.Name) != "forge_on_weekly" {
		t.Errorf("Trigger(weekly) = %+v", tr)
	}
	if m.Trigger("nope") != nil || m.Secret("nope") != nil || m.ConfigField("nope") != nil {
		t.Error("lookup of an unknown name returned something")
	}
	if s := m.Secret("SLACK_TOKEN"); s == nil || len(s.Hosts) != 1 || !s.Hosts[0].Matches("Slack.com") {
		t.Errorf("Secret(SLACK_TOKEN) = %+v", s)
	}
	if c := m.ConfigField("channel"); c == nil || c.Default != "#finance" {
		t.Errorf("ConfigField(channel) = %+v", c)
	}
	if m.Module.Kind() != "go" || m.Module.Resolve("exts/digest") != "exts/digest" {
		t.Errorf("module %+v", m.Module)
	}
	for u, want := range map[string]bool{
		"https://slack.com/api/chat.postMessage":        true,
		"https://slack.com/oauth":                       false,
		"https://eu.billing.example.com/v1/invoices":    true,
		"https://eu.billing.example.com:8443/v1/x":      false,
		"https://billing.example.com/v1/x":              false,
		"http://slack.com/api/":                         false,
		"https://slack.com.evil.example/api/":           false,
		"https://a.b.billing.example.com/v1/deep?x=1#f": true,
	} {
		if got := m.AllowsURL(u); got != want {
			t.Errorf("AllowsURL(%s) = %v, want %v", u, got, want)
		}
	}
	if l := m.Limits; l.Memory.Value != 32*MiB || l.Timeout.Value != 10*time.Second || l.HTTPCalls.Value != 20 || !l.HTTPCalls.Set {
		t.Errorf("limits %+v", l)
	}
}

func TestUnsetLimitsAreNotSet(t *testing.T) {
	m, _, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Limits.Memory.Set || m.Limits.Timeout.Set || m.Limits.HTTPCalls.Set {
		t.Errorf("limits set in a manifest without limits: %+v", m.Limits)
	}
	m, _, err = Load("testdata/valid/config-types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Limits.HTTPCalls.Set || m.Limits.HTTPCalls.Value != 0 {
		t.Errorf("httpCalls: 0 must be set to 0: %+v", m.Limits.HTTPCalls)
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/valid/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("extension.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
