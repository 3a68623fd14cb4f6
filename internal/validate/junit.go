package validate

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit output: one <testsuite> per extension and one <testcase> per rule
// checked, holding a <failure> when the rule found something.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, results []Result) error {
	all := Rules()
	out := junitSuites{Name: "forge validate"}
	for _, res := range results {
		name := res.Extension
		if name == "" {
			name = res.Path
		}
		byRule := map[string][]Diagnostic{}
		for _, d := range res.Diagnostics {
			byRule[d.Rule] = append(byRule[d.Rule], d)
		}
		suite := junitSuite{Name: name}
		if res.Path != "" {
			suite.Properties = []junitProperty{{Name: "path", Value: res.Path}}
		}
		ids := make([]string, 0, len(all))
		for _, r := range all {
			ids = append(ids, r.ID)
		}
		for id := range byRule {
			if _, ok := ruleIndex[id]; !ok {
				ids = append(ids, id) // a rule of a newer producer: still reported
			}
		}
		for _, id := range ids {
			tc := junitCase{Name: id, Classname: name}
			if ds := byRule[id]; len(ds) > 0 {
				tc.Failure = junitFailureOf(ds)
				suite.Failures++
			}
			suite.Cases = append(suite.Cases, tc)
		}
		suite.Tests = len(suite.Cases)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitFailureOf(ds []Diagnostic) *junitFailure {
	sev := SeverityWarning
	var text strings.Builder
	for _, d := range ds {
		if d.Severity == SeverityError {
			sev = SeverityError
		}
		text.WriteString(d.String() + "\n")
		if d.Hint != "" {
			text.WriteString("  hint: " + d.Hint + "\n")
		}
	}
	msg := ds[0].Message
	if len(ds) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(ds)-1)
	}
	return &junitFailure{Message: msg, Type: string(sev), Text: text.String()}
}
