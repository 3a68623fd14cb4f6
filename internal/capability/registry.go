package capability

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/forgehq/forge/internal/atomicfile"
)

// IndexVersion is the version of the registry's on-disk format.
const IndexVersion = 1

// IndexFile is the name of the registry index inside the registry directory.
const IndexFile = "index.json"

// SourceSpec declares one source: its name, kind and where it is read from.
type SourceSpec struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`

	// Location is a file path (relative to the project directory) or an
	// http(s) URL for OpenAPI and GraphQL; for MCP, the URL of a streamable
	// HTTP (or SSE) server.
	Location string `json:"location,omitempty"`

	// Command is the stdio command line of an MCP server.
	Command string `json:"command,omitempty"`

	// AllowExternalRefs lets an OpenAPI document load external $refs.
	AllowExternalRefs bool `json:"allowExternalRefs,omitempty"`
	// AllowPrivateNetwork lets remote documents and servers live on
	// loopback, private or link-local addresses.
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
}

// Origin describes where a source is read from, for people.
func (s SourceSpec) Origin() string {
	if s.Command != "" {
		return s.Command
	}
	return s.Location
}

// SourceRecord is a source as pinned in the registry.
type SourceRecord struct {
	SourceSpec
	// Digest is over what was read from the source.
	Digest string `json:"digest"`
	// Provenance is what the source says about itself (title, version,
	// server name).
	Provenance map[string]string `json:"provenance,omitempty"`
	// Capabilities is how many capabilities the source has.
	Capabilities int `json:"capabilities"`
	// File is the capability file inside the registry directory and
	// FileDigest the digest of its bytes.
	File       string `json:"file"`
	FileDigest string `json:"fileDigest"`
}

// Entry is a capability's line in the index: enough to check references and
// pins without reading schemas.
type Entry struct {
	ID     string `json:"id"`
	Effect Effect `json:"effect"`
	Digest string `json:"digest"`
}

// Index is the registry's index file.
type Index struct {
	Version      int            `json:"version"`
	Sources      []SourceRecord `json:"sources"`
	Capabilities []Entry        `json:"capabilities"`
}

// Registry is a project's pinned capability registry: a directory holding
// index.json and one JSON Lines file of capabilities per source, all written
// deterministically (sorted, no timestamps) so that the same inputs give
// byte-identical files.
type Registry struct {
	Dir   string
	Index Index

	// rawEntries holds the undecoded capability list of the index until a
	// caller needs it (Entries); most lookups never do.
	rawEntries json.RawMessage
	// rawTail says that rawEntries runs on to the end of index.json.
	rawTail bool
	decoded bool
}

// NotFoundError is returned for an unknown capability or source.
type NotFoundError struct {
	What        string // "capability" or "source"
	Name        string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q not found in the registry", e.What, e.Name)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg
}

// Open reads the registry in dir. A missing directory is an empty registry.
// It checks the index's version and source list; capability files are
// checked as they are read (Get, Load).
func Open(dir string) (*Registry, error) {
	r := &Registry{Dir: dir, Index: Index{Version: IndexVersion}, decoded: true}
	path := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	if err := r.decodeIndex(data); err != nil {
		return nil, &CorruptError{Path: path, Msg: "the index does not decode: " + err.Error()}
	}
	if r.Index.Version != IndexVersion {
		return nil, fmt.Errorf("%s: registry format version %d is not supported (want %d)", path, r.Index.Version, IndexVersion)
	}
	if probs := checkSources(r.Index.Sources); len(probs) > 0 {
		return nil, &CorruptError{Path: path, Msg: probs[0].Field + " " + probs[0].Message}
	}
	return r, nil
}

// decodeIndex reads the version and the sources of index.json. When both
// come before the capability list (as encodeIndex writes them) it stops
// there and keeps the rest of the file undecoded (and unscanned) for
// Entries: with thousands of capabilities it is most of the file, and a
// lookup by id never needs it. In any other order (a key-sorted index, as
// jq -S writes it) it reads on to the end, keeping the list undecoded.
func (r *Registry) decodeIndex(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("not a JSON object")
	}
	r.Index = Index{}
	var version, sources bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errors.New(DescribeJSONError(err))
		}
		key, _ := tok.(string)
		switch key {
		case "version":
			err, version = dec.Decode(&r.Index.Version), true
		case "sources":
			err, sources = dec.Decode(&r.Index.Sources), true
		case "capabilities":
			if version && sources {
				rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")
				if !bytes.HasPrefix(rest, []byte(":")) {
					return fmt.Errorf("malformed capabilities list")
				}
				r.rawEntries, r.rawTail, r.decoded = rest[1:], true, false
				return nil
			}
			var raw json.RawMessage
			err = dec.Decode(&raw)
			r.rawEntries, r.rawTail, r.decoded = raw, false, false
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return errors.New(DescribeJSONError(err))
		}
	}
	return endObject(dec)
}

// endObject reads the closing brace of an object and checks that nothing
// but white space follows it.
func endObject(dec *json.Decoder) error {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return fmt.Errorf("malformed object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("data after the index object")
	}
	return nil
}

// decodeEntries decodes the undecoded capability list. After a lazy Open
// (rawTail) the list runs on to the end of the file: the keys after it
// must not repeat version or sources, which Open has already read.
func (r *Registry) decodeEntries() ([]Entry, error) {
	var entries []Entry
	dec := json.NewDecoder(bytes.NewReader(r.rawEntries))
	if err := dec.Decode(&entries); err != nil {
		return nil, errors.New(DescribeJSONError(err))
	}
	if !r.rawTail {
		return entries, nil
	}
	rest := bytes.TrimLeft(r.rawEntries[dec.InputOffset():], " \t\r\n")
	if bytes.HasPrefix(rest, []byte(",")) {
		// More keys: read them as an object of their own.
		dec = json.NewDecoder(io.MultiReader(strings.NewReader("{"), bytes.NewReader(rest[1:])))
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, errors.New(DescribeJSONError(err))
			}
			switch tok {
			case "version", "sources", "capabilities":
				return nil, fmt.Errorf("key %s comes twice", tok)
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, errors.New(DescribeJSONError(err))
			}
		}
		return entries, endObject(dec)
	}
	if !bytes.HasPrefix(rest, []byte("}")) || len(bytes.TrimSpace(rest[1:])) > 0 {
		return nil, fmt.Errorf("malformed object after the capability list")
	}
	return entries, nil
}

// Entries returns the index line of every capability, sorted by id.
func (r *Registry) Entries() ([]Entry, error) {
	if !r.decoded {
		path := filepath.Join(r.Dir, IndexFile)
		entries, err := r.decodeEntries()
		if err != nil {
			return nil, &CorruptError{Path: path, Msg: "the capability list does not decode: " + err.Error()}
		}
		if probs := checkEntries(entries); len(probs) > 0 {
			return nil, &CorruptError{Path: path, Msg: probs[0].Field + " " + probs[0].Message}
		}
		r.Index.Capabilities, r.rawEntries, r.decoded = entries, nil, true
	}
	return r.Index.Capabilities, nil
}

// Source returns the record of the named source.
func (r *Registry) Source(name string) (*SourceRecord, error) {
	for i := range r.Index.Sources {
		if r.Index.Sources[i].Name == name {
			return &r.Index.Sources[i], nil
		}
	}
	names := make([]string, 0, len(r.Index.Sources))
	for _, s := range r.Index.Sources {
		names = append(names, s.Name)
	}
	return nil, &NotFoundError{What: "source", Name: name, Suggestions: Suggest(name, names, 3)}
}

// Entry returns the index entry of a capability id.
func (r *Registry) Entry(id string) (*Entry, error) {
	if _, err := r.Entries(); err != nil {
		return nil, err
	}
	i, ok := slices.BinarySearchFunc(r.Index.Capabilities, id, func(e Entry, id string) int { return strings.Compare(e.ID, id) })
	if ok {
		return &r.Index.Capabilities[i], nil
	}
	return nil, &NotFoundError{What: "capability", Name: id, Suggestions: r.SuggestIDs(id, 3)}
}

// SuggestIDs returns up to n capability ids close to id.
func (r *Registry) SuggestIDs(id string, n int) []string {
	if _, err := r.Entries(); err != nil {
		return nil
	}
	ids := make([]string, len(r.Index.Capabilities))
	for i, e := range r.Index.Capabilities {
		ids[i] = e.ID
	}
	return Suggest(id, ids, n)
}

// Get reads one capability by id. It reads only the index's source list
// and binary-searches the sorted capability file of the id's source, so its
// cost hardly grows with the size of the registry. It checks the line it
// finds (see checkLine): a capability edited without recomputing its
// digest is a *CorruptError naming the file and line. Only Load and Verify
// read whole files and so check file digests and the index's pins.
func (r *Registry) Get(id string) (*Capability, error) {
	src, _, _ := SplitID(id)
	rec, err := r.Source(src)
	if err != nil {
		return nil, &NotFoundError{What: "capability", Name: id, Suggestions: r.SuggestIDs(id, 3)}
	}
	path := filepath.Join(r.Dir, rec.File)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	corrupt := func(off int64, msg string) error {
		n, err := lineNumber(f, off)
		if err != nil {
			return err
		}
		return &CorruptError{Path: path, Line: n, Msg: msg}
	}
	line, off, err := searchSorted(f, id)
	if bl, ok := err.(*badLine); ok {
		return nil, corrupt(bl.off, bl.msg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if line == nil {
		return nil, &NotFoundError{What: "capability", Name: id, Suggestions: r.SuggestIDs(id, 3)}
	}
	c, err := checkLine(line, rec.Name)
	if err != nil {
		return nil, corrupt(off, err.Error())
	}
	return &c, nil
}

// Load reads all capabilities of one source, sorted by id, and checks its
// whole file (see Verify): every line, the order, the file digest and
// count the index pins, and the index's capability entries of the source.
// Anything that does not verify is a *CorruptError naming the file (and
// the line).
func (r *Registry) Load(source string) ([]Capability, error) {
	rec, err := r.Source(source)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(r.Dir, rec.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	all, err := r.Entries()
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(r.Index.Sources, func(s SourceRecord) bool { return s.Name == source })
	entries, first := sourceEntries(all, source)
	caps, probs := checkFile(*rec, i, data, entries, first)
	if len(probs) > 0 {
		p := probs[0]
		msg := p.Message
		if p.Field != "" {
			msg = p.Field + " " + msg
		}
		return nil, &CorruptError{Path: filepath.Join(r.Dir, p.File), Line: p.Line, Msg: msg}
	}
	return caps, nil
}

// All reads every capability, sorted by id.
func (r *Registry) All() ([]Capability, error) {
	var out []Capability
	for _, s := range r.Index.Sources {
		caps, err := r.Load(s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, caps...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// EncodeCapabilities returns the deterministic JSON Lines encoding of caps
// (sorted by id).
func EncodeCapabilities(caps []Capability) ([]byte, error) {
	sorted := slices.Clone(caps)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range sorted {
		if err := enc.Encode(&sorted[i]); err != nil {
			return nil, fmt.Errorf("capability %s: %w", sorted[i].ID, err)
		}
	}
	return buf.Bytes(), nil
}

// Put pins a source and its sealed capabilities, replacing any earlier pin
// of the same source. Every file is written atomically; the index last.
func (r *Registry) Put(rec SourceRecord, caps []Capability) error {
	// The name becomes a file name.
	if err := ValidSourceName(rec.Name); err != nil {
		return err
	}
	seen := make(map[string]bool, len(caps))
	for _, c := range caps {
		if c.Source != rec.Name || c.ID != c.Source+"."+c.Name || c.Digest == "" || c.Digest != c.ComputeDigest() {
			return fmt.Errorf("capability %s is not sealed for source %s", c.ID, rec.Name)
		}
		if seen[c.ID] {
			return fmt.Errorf("duplicate capability id %s", c.ID)
		}
		seen[c.ID] = true
	}
	data, err := EncodeCapabilities(caps)
	if err != nil {
		return err
	}
	if _, err := r.Entries(); err != nil {
		return err
	}
	rec.File = rec.Name + ".jsonl"
	rec.FileDigest = DigestBytes(data)
	rec.Capabilities = len(caps)

	idx := r.Index
	idx.Version = IndexVersion
	idx.Sources = slices.DeleteFunc(slices.Clone(idx.Sources), func(s SourceRecord) bool { return s.Name == rec.Name })
	idx.Sources = append(idx.Sources, rec)
	sort.Slice(idx.Sources, func(i, j int) bool { return idx.Sources[i].Name < idx.Sources[j].Name })
	prefix := rec.Name + "."
	idx.Capabilities = slices.DeleteFunc(slices.Clone(idx.Capabilities), func(e Entry) bool { return strings.HasPrefix(e.ID, prefix) })
	for _, c := range caps {
		idx.Capabilities = append(idx.Capabilities, Entry{ID: c.ID, Effect: c.Effect, Digest: c.Digest})
	}
	sort.Slice(idx.Capabilities, func(i, j int) bool { return idx.Capabilities[i].ID < idx.Capabilities[j].ID })

	indexData, err := encodeIndex(idx)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(r.Dir, rec.File), data, 0o644); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(r.Dir, IndexFile), indexData, 0o644); err != nil {
		return err
	}
	r.Index = idx
	return nil
}

// Remove unpins a source and deletes its capability file.
func (r *Registry) Remove(name string) error {
	rec, err := r.Source(name)
	if err != nil {
		return err
	}
	if _, err := r.Entries(); err != nil {
		return err
	}
	file := rec.File
	idx := r.Index
	idx.Sources = slices.DeleteFunc(slices.Clone(idx.Sources), func(s SourceRecord) bool { return s.Name == name })
	idx.Capabilities = slices.DeleteFunc(slices.Clone(idx.Capabilities), func(e Entry) bool { return strings.HasPrefix(e.ID, name+".") })
	indexData, err := encodeIndex(idx)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(r.Dir, IndexFile), indexData, 0o644); err != nil {
		return err
	}
	r.Index = idx
	if err := os.Remove(filepath.Join(r.Dir, file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func encodeIndex(idx Index) ([]byte, error) {
	if idx.Sources == nil {
		idx.Sources = []SourceRecord{}
	}
	if idx.Capabilities == nil {
		idx.Capabilities = []Entry{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(idx); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DigestBytes returns "sha256:<hex>" of b.
func DigestBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Suggest returns up to n candidates closest to s by edit distance (and
// those containing s), best first. The edit distance is computed only for
// candidates whose bag distance (how many characters one string has that
// the other lacks, a lower bound of the edit distance that costs one pass)
// is within the limit, so a registry of thousands of ids stays cheap.
func Suggest(s string, candidates []string, n int) []string {
	type scored struct {
		c string
		d int
	}
	var best []scored
	ls := strings.ToLower(s)
	limit := max(2, len(s)/3)
	var want [256]int
	for _, r := range ls {
		want[bagIndex(r)]++
	}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		contains := strings.Contains(lc, ls)
		if !contains && bagDistance(&want, lc) > limit {
			continue
		}
		d := levenshtein.ComputeDistance(ls, lc)
		if d > limit && !contains {
			continue
		}
		best = append(best, scored{c, d})
	}
	sort.Slice(best, func(i, j int) bool {
		if best[i].d != best[j].d {
			return best[i].d < best[j].d
		}
		return best[i].c < best[j].c
	})
	out := make([]string, 0, n)
	for i := 0; i < len(best) && i < n; i++ {
		out = append(out, best[i].c)
	}
	return out
}

// bagIndex maps a rune to a counter; runes sharing a counter only make the
// bound looser, never wrong.
func bagIndex(r rune) int { return int(uint32(r) % 256) }

// bagDistance is a lower bound of the edit distance between the string
// counted in want and s.
func bagDistance(want *[256]int, s string) int {
	diff := *want
	for _, r := range s {
		diff[bagIndex(r)]--
	}
	pos, neg := 0, 0
	for _, d := range diff {
		if d > 0 {
			pos += d
		} else {
			neg -= d
		}
	}
	return max(pos, neg)
}
