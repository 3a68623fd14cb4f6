package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxSize is the largest manifest Parse and Load accept, in bytes.
const MaxSize = 1 << 20

// maxAliasNodes caps how many nodes alias expansion may add to a document
// (a "billion laughs" document adds billions).
const maxAliasNodes = 10_000

// Diagnostic is one finding about a readable manifest.
type Diagnostic struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// String formats d as "file:line:col: severity: message [rule]".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s [%s]", location(d.File, d.Line, d.Col), d.Severity, d.Message, d.Rule)
}

// Pos returns d's position.
func (d Diagnostic) Pos() Pos { return Pos{Line: d.Line, Col: d.Col} }

// ParseError says that a manifest is not readable at all: not YAML, not a
// mapping, empty, binary, too large or excessively aliased. Line and Col
// are 0 when unknown.
type ParseError struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error formats e as "file:line:col: msg".
func (e *ParseError) Error() string { return location(e.File, e.Line, e.Col) + ": " + e.Msg }

// Diagnostic returns e as a finding with rule RuleSyntax, for reporters
// that list every problem the same way.
func (e *ParseError) Diagnostic() Diagnostic {
	return Diagnostic{Rule: RuleSyntax, Severity: SeverityError, File: e.File, Line: e.Line, Col: e.Col, Message: e.Msg}
}

func location(file string, line, col int) string {
	switch {
	case line <= 0:
		return file
	case col <= 0:
		return fmt.Sprintf("%s:%d", file, line)
	}
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

// Load reads and parses the manifest at path. A directory, a file larger
// than MaxSize (refused from its size, without reading it) or a read error
// gives a *ParseError; a file that cannot be opened gives the *fs.PathError
// (errors.Is(err, fs.ErrNotExist) for a missing one).
func Load(path string) (*Manifest, []Diagnostic, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, &ParseError{File: path, Msg: "is a directory, not a manifest file (want the path of extension.yaml)"}
	}
	if st.Mode().IsRegular() && st.Size() > MaxSize {
		return nil, nil, tooLarge(path, st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, nil, &ParseError{File: path, Msg: "cannot read: " + err.Error()}
	}
	return Parse(path, data)
}

func tooLarge(file string, n int64) *ParseError {
	return &ParseError{File: file, Msg: fmt.Sprintf("manifest is larger than the %d byte limit (%d bytes)", MaxSize, n)}
}

// Parse parses a manifest. file names it in positions. It returns an error
// (a *ParseError) only when data is not a readable YAML mapping; otherwise
// it returns the Manifest, with every problem found as a Diagnostic. Parse
// does not look at the file system or at forge.yaml.
func Parse(file string, data []byte) (m *Manifest, diags []Diagnostic, err error) {
	defer func() {
		if r := recover(); r != nil {
			// yaml.v3 has panicked on hostile input before; never pass
			// that on.
			m, diags, err = nil, nil, &ParseError{File: file, Msg: fmt.Sprintf("cannot parse manifest: %v", r)}
		}
	}()
	if len(data) > MaxSize {
		return nil, nil, tooLarge(file, int64(len(data)))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if perr := checkText(file, data); perr != nil {
		return nil, nil, perr
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, &ParseError{File: file, Line: 1, Col: 1, Msg: "empty manifest"}
		}
		return nil, nil, yamlError(file, data, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
		return nil, nil, &ParseError{File: file, Line: 1, Col: 1, Msg: "empty manifest"}
	}
	p := &parser{file: file}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		at := Pos{extra.Line, extra.Column}
		if len(extra.Content) > 0 {
			at = pos(extra.Content[0])
		}
		p.report(RuleMultipleDocuments, at, "split it into one file per extension, or delete the second document", "a manifest is one YAML document; found another one after \"---\"")
	case !errors.Is(err, io.EOF):
		return nil, nil, yamlError(file, data, err)
	}
	root := doc.Content[0]
	if perr := checkAliases(file, root); perr != nil {
		return nil, nil, perr
	}
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		return nil, nil, &ParseError{File: file, Line: root.Line, Col: root.Column, Msg: "a manifest must be a YAML mapping (apiVersion: ..., name: ...), got " + kindName(root)}
	}
	m = p.manifest(root)
	m.File = file
	return m, p.diags, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError converts a yaml.v3 error. yaml.v3 reports only a line (none on
// the first line); the column is that of the line's first non-blank
// character.
func yamlError(file string, data []byte, err error) *ParseError {
	msg := err.Error()
	line, text := 1, strings.TrimPrefix(msg, "yaml: ")
	if sub := yamlLineRE.FindStringSubmatch(msg); sub != nil {
		line, _ = strconv.Atoi(sub[1])
		text = sub[2]
		if yamlParserErrors[text] {
			// yaml.v3 reports parser (not scanner) errors with a 0-based
			// line: that of the construct being parsed.
			line++
		}
	}
	if sub := unknownAnchorRE.FindStringSubmatch(text); sub != nil {
		// yaml.v3 gives no position; point at the first use.
		if i := bytes.Index(data, []byte("*"+sub[1])); i >= 0 {
			l := 1 + bytes.Count(data[:i], []byte("\n"))
			c := 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i])
			return &ParseError{File: file, Line: l, Col: c, Msg: "invalid YAML: " + text}
		}
	}
	return &ParseError{File: file, Line: line, Col: firstColumn(data, line), Msg: "invalid YAML: " + text}
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlParserErrors are the messages of yaml.v3's parser, as opposed to its
// scanner.
var yamlParserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// checkText rejects invalid UTF-8 and characters YAML does not allow,
// pointing at the first one (columns count characters, like yaml.v3).
func checkText(file string, data []byte) *ParseError {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &ParseError{File: file, Line: line, Col: col, Msg: "not UTF-8 text (is it a binary file?)"}
		case r == '\n':
			line, col = line+1, 0
		case r == '\t' || r == '\r' || r == 0x85:
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0xfffe || r == 0xffff:
			return &ParseError{File: file, Line: line, Col: col, Msg: fmt.Sprintf("control character %U is not allowed (is it a binary file?)", r)}
		}
		i += size
		col++
	}
	return nil
}

// checkAliases rejects alias cycles and documents that aliases expand by
// more than maxAliasNodes nodes, so that walking the tree stays linear.
func checkAliases(file string, root *yaml.Node) *ParseError {
	const (
		visiting = -1
		over     = 1 << 40 // saturation: counts can grow exponentially
	)
	memo := map[*yaml.Node]int{}
	var perr *ParseError
	raw := 0
	// expanded returns the node count of n with aliases expanded, capped.
	var expanded func(n *yaml.Node) int
	expanded = func(n *yaml.Node) int {
		if perr != nil {
			return over
		}
		if c, ok := memo[n]; ok {
			if c == visiting {
				perr = &ParseError{File: file, Line: n.Line, Col: n.Column, Msg: "an anchor's value contains an alias to itself"}
				return over
			}
			return c
		}
		memo[n] = visiting
		total := 1
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				perr = &ParseError{File: file, Line: n.Line, Col: n.Column, Msg: "alias to an unknown anchor"}
				return over
			}
			total += expanded(n.Alias)
		} else {
			raw++
		}
		for _, c := range n.Content {
			total += expanded(c)
			total = min(total, over)
		}
		memo[n] = total
		return total
	}
	total := expanded(root)
	if perr != nil {
		return perr
	}
	if total-raw > maxAliasNodes {
		return &ParseError{File: file, Line: root.Line, Col: root.Column, Msg: fmt.Sprintf("excessive aliasing: aliases expand the document by more than %d nodes", maxAliasNodes)}
	}
	return nil
}

// firstColumn returns the column of the first non-blank character of line
// (1-based) in data, or 1.
func firstColumn(data []byte, line int) int {
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return 1
		}
		data = data[i+1:]
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	col := 1
	for _, r := range string(data) {
		if r != ' ' && r != '\t' {
			return col
		}
		col++
	}
	return 1
}
