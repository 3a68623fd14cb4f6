package validate

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sampleResults checks a few extensions of testdata/rules, one of them
// clean, as one run of `forge validate` over several extensions would.
func sampleResults(t *testing.T) []Result {
	t.Helper()
	var out []Result
	for _, name := range []string{"clean", "egress__private-host", "escalation__new-egress", "module__unknown-import", "manifest__syntax"} {
		dir := path.Join(rulesDir, name)
		out = append(out, Result{Extension: name, Path: path.Join(dir, "extension.yaml"), Diagnostics: loadCase(t, dir)})
	}
	return out
}

func countDiags(results []Result) int {
	n := 0
	for _, r := range results {
		n += len(r.Diagnostics)
	}
	return n
}

const sarifSchemaPath = "../../testdata/mcp-servers/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"

// TestSARIFSchema validates the sarif output against the SARIF 2.1.0 JSON
// Schema (from the npm package @microsoft/jest-sarif, installed by make
// deps) and checks what the schema cannot: rule indexes, help URIs and
// relative forward-slash locations.
func TestSARIFSchema(t *testing.T) {
	f, err := os.Open(sarifSchemaPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("SARIF schema missing in CI: %v", err)
		}
		t.Skipf("SARIF schema not installed (%v): run `make deps`", err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://example.test/sarif-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}

	results := sampleResults(t)
	var buf bytes.Buffer
	if err := Write(&buf, FormatSARIF, results); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("sarif output does not validate:\n%v\n%s", err, buf.Bytes())
	}

	// A schema violation must be caught: the check above can fail.
	var broken map[string]any
	if err := json.Unmarshal(buf.Bytes(), &broken); err != nil {
		t.Fatal(err)
	}
	broken["version"] = "2.0"
	if sch.Validate(broken) == nil {
		t.Error("the schema accepts version 2.0: the validation proves nothing")
	}

	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "forge" || run.Tool.Driver.Version == "" {
		t.Errorf("driver %q version %q", run.Tool.Driver.Name, run.Tool.Driver.Version)
	}
	if len(run.Tool.Driver.Rules) != len(Rules()) {
		t.Errorf("%d rules, want %d", len(run.Tool.Driver.Rules), len(Rules()))
	}
	for _, r := range run.Tool.Driver.Rules {
		if !strings.HasSuffix(r.HelpURI, "docs/rules.md#"+Anchor(r.ID)) {
			t.Errorf("rule %s: helpUri %s", r.ID, r.HelpURI)
		}
	}
	if len(run.Results) != countDiags(results) || len(run.Results) == 0 {
		t.Fatalf("%d results, want %d", len(run.Results), countDiags(results))
	}
	for _, r := range run.Results {
		if r.RuleIndex < 0 || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d", r.RuleID, r.RuleIndex)
		}
		if len(r.Locations) != 1 {
			t.Errorf("result %s has %d locations", r.RuleID, len(r.Locations))
			continue
		}
		pl := r.Locations[0].PhysicalLocation
		if u := pl.ArtifactLocation.URI; !strings.HasPrefix(u, "testdata/rules/") || strings.Contains(u, `\`) {
			t.Errorf("result %s: uri %q", r.RuleID, u)
		}
		if pl.Region == nil || pl.Region.StartLine < 1 || pl.Region.StartColumn < 1 {
			t.Errorf("result %s: region %+v", r.RuleID, pl.Region)
		}
	}
}

func TestSARIFURI(t *testing.T) {
	for in, want := range map[string]string{
		"ext/extension.yaml":   "ext/extension.yaml",
		"./ext/extension.yaml": "ext/extension.yaml",
		"my ext/a#b.yaml":      "my%20ext/a%23b.yaml",
		"/abs/extension.yaml":  "file:///abs/extension.yaml",
	} {
		if got := sarifURI(filepath.FromSlash(in)); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// JUnit XML as CI systems read it.
type junitTestsuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	results := sampleResults(t)
	var buf bytes.Buffer
	if err := Write(&buf, FormatJUnit, results); err != nil {
		t.Fatal(err)
	}
	var got junitTestsuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.Bytes())
	}
	if len(got.Suites) != len(results) {
		t.Fatalf("%d testsuites, want %d", len(got.Suites), len(results))
	}
	total, failures := 0, 0
	for i, s := range got.Suites {
		res := results[i]
		if s.Name != res.Extension {
			t.Errorf("suite %d named %q, want %q", i, s.Name, res.Extension)
		}
		if s.Tests != len(s.Cases) || s.Tests != len(Rules()) {
			t.Errorf("suite %s: tests=%d, %d testcases, %d rules", s.Name, s.Tests, len(s.Cases), len(Rules()))
		}
		want := map[string]int{}
		for _, d := range res.Diagnostics {
			want[d.Rule]++
		}
		n := 0
		for _, c := range s.Cases {
			if c.Failure == nil {
				if want[c.Name] > 0 {
					t.Errorf("suite %s: %s passes but has %d findings", s.Name, c.Name, want[c.Name])
				}
				continue
			}
			n++
			if want[c.Name] == 0 {
				t.Errorf("suite %s: %s fails without findings", s.Name, c.Name)
			}
			if got := strings.Count(c.Failure.Text, "["+c.Name+"]"); got != want[c.Name] {
				t.Errorf("suite %s: %s failure lists %d findings, want %d", s.Name, c.Name, got, want[c.Name])
			}
			if c.Failure.Type != "error" && c.Failure.Type != "warning" {
				t.Errorf("failure type %q", c.Failure.Type)
			}
		}
		if s.Failures != n || n != len(want) {
			t.Errorf("suite %s: failures=%d, %d failing cases, %d rules with findings", s.Name, s.Failures, n, len(want))
		}
		total += s.Tests
		failures += s.Failures
	}
	if got.Tests != total || got.Failures != failures {
		t.Errorf("testsuites tests=%d failures=%d, want %d %d", got.Tests, got.Failures, total, failures)
	}
}

var githubLine = regexp.MustCompile(`^::(error|warning) file=([^,:]+),line=(\d+),col=(\d+),title=([a-z]+/[a-z0-9-]+)::([^\r\n]*)$`)

func TestGitHub(t *testing.T) {
	results := sampleResults(t)
	var buf bytes.Buffer
	if err := Write(&buf, FormatGitHub, results); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var want []Diagnostic
	for _, r := range results {
		want = append(want, r.Diagnostics...)
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, line := range lines {
		m := githubLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d is not an annotation: %q", i+1, line)
			continue
		}
		d := want[i]
		if m[1] != string(d.Severity) || m[2] != d.File || m[5] != d.Rule {
			t.Errorf("line %d: %q for %s", i+1, line, d)
		}
		msg := d.Message
		if d.Hint != "" {
			msg += "%0Ahint: " + d.Hint
		}
		if m[6] != msg {
			t.Errorf("line %d: message %q, want %q", i+1, m[6], msg)
		}
	}
}

func TestGitHubEscaping(t *testing.T) {
	d := Diagnostic{Rule: "egress/plain-http", Severity: SeverityWarning, File: "dir,x/a:b%.yaml", Line: 3, Col: 5, Message: "100% bad\r\nreally, truly: bad"}
	var buf bytes.Buffer
	if err := Write(&buf, FormatGitHub, []Result{{Diagnostics: []Diagnostic{d}}}); err != nil {
		t.Fatal(err)
	}
	want := "::warning file=dir%2Cx/a%3Ab%25.yaml,line=3,col=5,title=egress/plain-http::100%25 bad%0D%0Areally, truly: bad\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestJSON(t *testing.T) {
	results := sampleResults(t)
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, results); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version int `json:"version"`
		Results []struct {
			Extension   string            `json:"extension"`
			Path        string            `json:"path"`
			Diagnostics []json.RawMessage `json:"diagnostics"`
		} `json:"results"`
		Summary Summary `json:"summary"`
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Version != JSONVersion || len(got.Results) != len(results) {
		t.Fatalf("version %d, %d results", got.Version, len(got.Results))
	}
	if got.Results[0].Diagnostics == nil || len(got.Results[0].Diagnostics) != 0 {
		t.Errorf("clean extension: diagnostics %v, want []", got.Results[0].Diagnostics)
	}
	if got.Summary != Summarize(results) || got.Summary.Errors == 0 || got.Summary.Warnings == 0 {
		t.Errorf("summary %+v, want %+v", got.Summary, Summarize(results))
	}
	var d Diagnostic
	if err := json.Unmarshal(got.Results[1].Diagnostics[0], &d); err != nil || d != results[1].Diagnostics[0] {
		t.Errorf("diagnostic %+v (%v), want %+v", d, err, results[1].Diagnostics[0])
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "xml", nil); err == nil {
		t.Error("no error for an unknown format")
	}
}

func TestFailOn(t *testing.T) {
	warn := []Diagnostic{{Rule: RuleNewEgress, Severity: SeverityWarning}}
	errs := append([]Diagnostic{{Rule: RuleIPLiteral, Severity: SeverityError}}, warn...)
	for _, tc := range []struct {
		ds    []Diagnostic
		level string
		want  bool
	}{
		{nil, FailOnError, false},
		{nil, FailOnWarning, false},
		{warn, FailOnError, false},
		{warn, FailOnWarning, true},
		{errs, FailOnError, true},
		{errs, FailOnWarning, true},
	} {
		if got := FailOn(tc.ds, tc.level); got != tc.want {
			t.Errorf("FailOn(%v, %s) = %v", tc.ds, tc.level, got)
		}
	}
}
