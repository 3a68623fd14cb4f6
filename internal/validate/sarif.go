package validate

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/forgehq/forge/internal/buildinfo"
)

// SARIF 2.1.0 output: one run whose driver lists every rule of Rules().

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	ShortDescription     sarifMessage      `json:"shortDescription"`
	HelpURI              string            `json:"helpUri"`
	DefaultConfiguration sarifRuleDefaults `json:"defaultConfiguration"`
}

type sarifRuleDefaults struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

func sarifLevel(s Severity) string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// sarifURI turns a file path into a URI reference: relative paths stay
// relative with forward slashes, absolute ones become file URIs.
func sarifURI(p string) string {
	slash := filepath.ToSlash(p)
	if filepath.IsAbs(p) || strings.HasPrefix(slash, "/") {
		if !strings.HasPrefix(slash, "/") {
			slash = "/" + slash // C:/x -> /C:/x
		}
		return (&url.URL{Scheme: "file", Path: slash}).String()
	}
	slash = strings.TrimPrefix(slash, "./")
	return (&url.URL{Path: slash}).String()
}

func writeSARIF(w io.Writer, results []Result) error {
	all := Rules()
	driver := sarifDriver{
		Name:           "forge",
		Version:        buildinfo.Get().Version,
		InformationURI: "https://github.com/forgehq/forge",
		Rules:          make([]sarifRule, len(all)),
	}
	if driver.Version == "" {
		driver.Version = "devel"
	}
	for i, r := range all {
		driver.Rules[i] = sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifMessage{Text: r.Summary},
			HelpURI:              HelpURI(r.ID),
			DefaultConfiguration: sarifRuleDefaults{Level: sarifLevel(r.Severity)},
		}
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	for _, res := range results {
		for _, d := range res.Diagnostics {
			idx, ok := ruleIndex[d.Rule]
			if !ok {
				idx = -1
			}
			text := d.Message
			if d.Hint != "" {
				text += "\nhint: " + d.Hint
			}
			sr := sarifResult{RuleID: d.Rule, RuleIndex: idx, Level: sarifLevel(d.Severity), Message: sarifMessage{Text: text}}
			file := d.File
			if file == "" {
				file = res.Path
			}
			if file != "" {
				loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(file)}}}
				if d.Line > 0 {
					loc.PhysicalLocation.Region = &sarifRegion{StartLine: d.Line, StartColumn: max(d.Col, 0)}
				}
				sr.Locations = []sarifLocation{loc}
			}
			run.Results = append(run.Results, sr)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

// sarifPath is p with forward slashes and no leading "./".
func sarifPath(p string) string { return strings.TrimPrefix(filepath.ToSlash(p), "./") }
