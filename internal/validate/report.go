package validate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Result is the outcome of validating one extension.
type Result struct {
	// Extension is the extension's name (its directory when the manifest
	// has none).
	Extension string `json:"extension"`
	// Path is the manifest's path.
	Path        string       `json:"path"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// Output formats of Write.
const (
	FormatText   = "text"
	FormatJSON   = "json"
	FormatSARIF  = "sarif"
	FormatJUnit  = "junit"
	FormatGitHub = "github"
)

// Formats lists the output formats, in documentation order.
var Formats = []string{FormatText, FormatJSON, FormatSARIF, FormatJUnit, FormatGitHub}

// JSONVersion is the version of the json output format.
const JSONVersion = 1

// Write writes results in the given format. The json, sarif and junit
// formats are contracts for machines; text is for people.
func Write(w io.Writer, format string, results []Result) error {
	switch format {
	case FormatText:
		return writeText(w, results)
	case FormatJSON:
		return writeJSON(w, results)
	case FormatSARIF:
		return writeSARIF(w, results)
	case FormatJUnit:
		return writeJUnit(w, results)
	case FormatGitHub:
		return writeGitHub(w, results)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// FailOn levels.
const (
	FailOnError   = "error"
	FailOnWarning = "warning"
)

// FailOn reports whether ds holds a finding at or above level: "error"
// (errors only) or "warning" (errors and warnings). Any other level is
// treated as "error"; the CLI rejects it as a usage error first.
func FailOn(ds []Diagnostic, level string) bool {
	for _, d := range ds {
		if d.Severity == SeverityError || (level == FailOnWarning && d.Severity == SeverityWarning) {
			return true
		}
	}
	return false
}

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// Summarize counts the findings of results.
func Summarize(results []Result) Summary {
	var s Summary
	for _, r := range results {
		for _, d := range r.Diagnostics {
			switch d.Severity {
			case SeverityError:
				s.Errors++
			case SeverityWarning:
				s.Warnings++
			}
		}
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func writeText(w io.Writer, results []Result) error {
	var b strings.Builder
	for _, r := range results {
		for _, d := range r.Diagnostics {
			b.WriteString(d.String())
			b.WriteByte('\n')
			if d.Hint != "" {
				b.WriteString("  hint: " + d.Hint + "\n")
			}
		}
	}
	s := Summarize(results)
	checked := plural(len(results), "extension") + " checked"
	if s.Errors == 0 && s.Warnings == 0 {
		fmt.Fprintf(&b, "%s: no findings\n", checked)
	} else {
		fmt.Fprintf(&b, "%s: %s, %s\n", checked, plural(s.Errors, "error"), plural(s.Warnings, "warning"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONReport is the json output format (version JSONVersion).
type JSONReport struct {
	Version int      `json:"version"`
	Results []Result `json:"results"`
	Summary Summary  `json:"summary"`
}

func writeJSON(w io.Writer, results []Result) error {
	rep := JSONReport{Version: JSONVersion, Results: make([]Result, len(results)), Summary: Summarize(results)}
	for i, r := range results {
		if r.Diagnostics == nil {
			r.Diagnostics = []Diagnostic{}
		}
		rep.Results[i] = r
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
