package capability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// CorruptError reports a registry file that does not verify: damaged,
// edited by hand or tampered with. Path is the file (index.json or a
// capability file), Line the 1-based line of a capability file (0 when the
// problem is not about one line).
type CorruptError struct {
	Path string
	Line int
	Msg  string
}

func (e *CorruptError) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	return loc + ": corrupt registry: " + e.Msg
}

// Problem is one thing wrong with a registry, as Verify reports it.
type Problem struct {
	// File is IndexFile or the name of a capability file.
	File string
	// Line is the 1-based line of a capability file, 0 when the problem
	// is about a whole file.
	Line int
	// Field is, for IndexFile, a JSON pointer to the value at fault
	// ("/sources/0/fileDigest"), or "" for the whole index.
	Field string
	// Message says what is wrong. It names ids, sources and files but
	// never quotes other input.
	Message string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Field != "" {
		loc += "#" + p.Field
	}
	return loc + ": " + p.Message
}

// DescribeJSONError names a JSON decoding error without quoting the input
// (which may hold secrets): "invalid JSON", "field X has the wrong type",
// "unknown field …".
func DescribeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON"
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %s has the wrong type", te.Field)
		}
		return "a value has the wrong type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "does not decode"
}

// checkLine decodes one line of the capability file of source and checks
// that it is a sealed capability of that source: it starts with its id
// (see lineID), its id is SOURCE.NAME and its digest is the digest of its
// definition. A hand-edited line fails here unless its digest was
// recomputed too.
func checkLine(line []byte, source string) (Capability, error) {
	var c Capability
	id, err := lineID(line)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(line, &c); err != nil {
		return c, fmt.Errorf("not a capability (%s)", DescribeJSONError(err))
	}
	switch {
	case c.ID != id:
		return c, fmt.Errorf("capability %s repeats its id key", id)
	case c.Source != source:
		return c, fmt.Errorf("capability %s is in the file of source %s but names source %q", c.ID, source, c.Source)
	case c.ID != c.Source+"."+c.Name:
		return c, fmt.Errorf("capability %s: id is not source.name (%s.%s)", c.ID, c.Source, c.Name)
	case c.Digest != c.ComputeDigest():
		return c, fmt.Errorf("capability %s does not match its digest %s: it was changed after it was pinned", c.ID, c.Digest)
	}
	return c, nil
}

// checkFile checks the capability file of rec: every line (checkLine),
// ids strictly increasing (Get binary-searches them), the file's digest
// and the count the index pins, and that entries (the index entries of
// the source, sorted by id; first is the index of entries[0] in the whole
// list) pin the same capabilities with the same digests and effects. It
// returns the capabilities and every problem found.
func checkFile(rec SourceRecord, srcIndex int, data []byte, entries []Entry, first int) ([]Capability, []Problem) {
	var probs []Problem
	bad := func(line int, format string, args ...any) {
		probs = append(probs, Problem{File: rec.File, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	caps := make([]Capability, 0, rec.Capabilities)
	prev := ""
	for n, rest := 1, data; len(rest) > 0; n++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		c, err := checkLine(line, rec.Name)
		if err != nil {
			bad(n, "%v", err)
			continue
		}
		if len(caps) > 0 && c.ID <= prev {
			bad(n, "capability %s is not after %s: the file is not sorted by id", c.ID, prev)
			continue
		}
		prev = c.ID
		caps = append(caps, c)
	}
	linesOK := len(probs) == 0
	if got := DigestBytes(data); got != rec.FileDigest {
		bad(0, "has digest %s, but the index pins %s", got, rec.FileDigest)
	}
	if !linesOK {
		// Comparing with the index would only repeat the lines above.
		return caps, probs
	}
	if len(caps) != rec.Capabilities {
		probs = append(probs, Problem{File: IndexFile, Field: "/sources/" + strconv.Itoa(srcIndex) + "/capabilities", Message: fmt.Sprintf("source %s says %d capabilities, its file has %d", rec.Name, rec.Capabilities, len(caps))})
	}
	// Merge the two sorted lists.
	i, j := 0, 0
	for i < len(caps) || j < len(entries) {
		switch {
		case j == len(entries) || (i < len(caps) && caps[i].ID < entries[j].ID):
			bad(0, "capability %s is not in the index", caps[i].ID)
			i++
		case i == len(caps) || entries[j].ID < caps[i].ID:
			probs = append(probs, Problem{File: IndexFile, Field: "/capabilities/" + strconv.Itoa(first+j), Message: fmt.Sprintf("lists %s, which %s does not have", entries[j].ID, rec.File)})
			j++
		default:
			if e := entries[j]; e.Digest != caps[i].Digest || e.Effect != caps[i].Effect {
				probs = append(probs, Problem{File: IndexFile, Field: "/capabilities/" + strconv.Itoa(first+j), Message: fmt.Sprintf("pins %s with digest %s and effect %s, but %s has %s and %s", e.ID, e.Digest, e.Effect, rec.File, caps[i].Digest, caps[i].Effect)})
			}
			i, j = i+1, j+1
		}
	}
	return caps, probs
}

// sourceEntries returns the entries of source in the sorted list and the
// index of the first.
func sourceEntries(entries []Entry, source string) ([]Entry, int) {
	prefix := source + "."
	lo := sort.Search(len(entries), func(i int) bool { return entries[i].ID >= prefix })
	hi := lo
	for hi < len(entries) && strings.HasPrefix(entries[hi].ID, prefix) {
		hi++
	}
	return entries[lo:hi], lo
}

// checkSources checks the source list of an index: valid, unique names,
// each with the file name+".jsonl".
func checkSources(sources []SourceRecord) []Problem {
	var probs []Problem
	seen := map[string]bool{}
	for i, s := range sources {
		field := "/sources/" + strconv.Itoa(i)
		switch {
		case ValidSourceName(s.Name) != nil:
			probs = append(probs, Problem{File: IndexFile, Field: field + "/name", Message: "is not a valid source name"})
		case seen[s.Name]:
			probs = append(probs, Problem{File: IndexFile, Field: field + "/name", Message: fmt.Sprintf("repeats source %s", s.Name)})
		case s.File != s.Name+".jsonl":
			probs = append(probs, Problem{File: IndexFile, Field: field + "/file", Message: fmt.Sprintf("source %s must have the file %s.jsonl", s.Name, s.Name)})
		}
		seen[s.Name] = true
	}
	return probs
}

// checkEntries checks that the capability list of an index is sorted by
// id without repeats (Entry binary-searches it).
func checkEntries(entries []Entry) []Problem {
	for i := 1; i < len(entries); i++ {
		if entries[i].ID <= entries[i-1].ID {
			return []Problem{{File: IndexFile, Field: "/capabilities/" + strconv.Itoa(i), Message: fmt.Sprintf("capability %s is not after %s: the list is not sorted by id without repeats", entries[i].ID, entries[i-1].ID)}}
		}
	}
	return nil
}

// Verify checks a whole registry given as the bytes of its index.json and
// of its capability files, by file name: the index decodes strictly (no
// unknown fields) with a supported version; source names are valid and
// unique, each source's file is NAME.jsonl, is present and has the digest
// and count the index pins; every line is a sealed capability of its
// source whose digest matches its definition; files and the index's
// capability list are sorted by id and pin the same capabilities with the
// same digests and effects; no file is left over. A registry that Verify
// accepts is one that Open, Get, Load and All read without error.
//
// It returns the decoded index, or every problem found (sorted by file,
// line and field) and a nil index.
func Verify(index []byte, files map[string][]byte) (*Index, []Problem) {
	var idx Index
	dec := json.NewDecoder(bytes.NewReader(index))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&idx); err != nil {
		return nil, []Problem{{File: IndexFile, Message: fmt.Sprintf("is not a registry index (%s)", DescribeJSONError(err))}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, []Problem{{File: IndexFile, Message: "has data after the index object"}}
	}
	if idx.Version != IndexVersion {
		return nil, []Problem{{File: IndexFile, Field: "/version", Message: fmt.Sprintf("registry format version %d is not supported (want %d)", idx.Version, IndexVersion)}}
	}
	probs := append(checkSources(idx.Sources), checkEntries(idx.Capabilities)...)
	if len(probs) > 0 {
		return nil, probs
	}
	used := map[string]bool{}
	sources := map[string]bool{}
	for i, rec := range idx.Sources {
		used[rec.File], sources[rec.Name] = true, true
		entries, first := sourceEntries(idx.Capabilities, rec.Name)
		data, ok := files[rec.File]
		if !ok {
			probs = append(probs, Problem{File: rec.File, Message: fmt.Sprintf("is missing: it is the capability file of source %s", rec.Name)})
			continue
		}
		_, p := checkFile(rec, i, data, entries, first)
		probs = append(probs, p...)
	}
	for i, e := range idx.Capabilities {
		if src, _, ok := SplitID(e.ID); !ok || !sources[src] {
			probs = append(probs, Problem{File: IndexFile, Field: "/capabilities/" + strconv.Itoa(i), Message: fmt.Sprintf("lists %s, whose source is not in the index", e.ID)})
		}
	}
	for name := range files {
		if !used[name] {
			probs = append(probs, Problem{File: name, Message: "is not named by the index"})
		}
	}
	if len(probs) > 0 {
		sort.SliceStable(probs, func(i, j int) bool {
			a, b := probs[i], probs[j]
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Field < b.Field
		})
		return nil, probs
	}
	return &idx, nil
}
