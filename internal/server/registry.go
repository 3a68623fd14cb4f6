package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/validate"
)

// registryDoc is a workspace's capability registry as the CLI pushes it:
// the registry directory's index.json and the capability files it names.
// It is stored as its canonical JSON, with the digest of those bytes.
type registryDoc struct {
	Index json.RawMessage   `json:"index"`
	Files map[string]string `json:"files"`
}

// registryIndex is a checked registry: every capability of the index,
// found in its source's file with the same digest.
type registryIndex struct {
	index   capability.Index
	digests map[string]string // capability id -> digest
	ids     []string          // sorted
}

// parseRegistry checks a pushed registry document and returns its index.
// Every problem is a field error naming the file and line.
func parseRegistry(doc registryDoc) (*registryIndex, []fieldError) {
	var errs []fieldError
	bad := func(loc, format string, args ...any) {
		errs = append(errs, fieldError{Location: loc, Message: fmt.Sprintf(format, args...)})
	}
	var idx capability.Index
	dec := json.NewDecoder(bytes.NewReader(doc.Index))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&idx); err != nil {
		bad("body/index", "is not a registry index.json (%s)", jsonErrorKind(err))
		return nil, errs
	}
	if idx.Version != capability.IndexVersion {
		bad("body/index/version", "registry format version %d is not supported (want %d)", idx.Version, capability.IndexVersion)
		return nil, errs
	}
	ri := &registryIndex{index: idx, digests: map[string]string{}}
	indexed := map[string]capability.Entry{}
	for i, e := range idx.Capabilities {
		if _, dup := indexed[e.ID]; dup {
			bad(fmt.Sprintf("body/index/capabilities/%d", i), "repeats capability %s", e.ID)
		}
		indexed[e.ID] = e
	}
	used := map[string]bool{}
	for i, src := range idx.Sources {
		loc := fmt.Sprintf("body/index/sources/%d", i)
		if err := capability.ValidSourceName(src.Name); err != nil {
			bad(loc+"/name", "is not a valid source name")
			continue
		}
		text, ok := doc.Files[src.File]
		if !ok {
			bad("body/files", "lacks %s, the capability file of source %s", src.File, src.Name)
			continue
		}
		used[src.File] = true
		if got := capability.DigestBytes([]byte(text)); got != src.FileDigest {
			bad("body/files/"+src.File, "has digest %s, but the index pins %s", got, src.FileDigest)
			continue
		}
		n := 0
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for line := 1; sc.Scan(); line++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var cp capability.Capability
			if err := json.Unmarshal(sc.Bytes(), &cp); err != nil {
				bad(fmt.Sprintf("body/files/%s:%d", src.File, line), "is not a capability (%s)", jsonErrorKind(err))
				continue
			}
			if s, _, _ := capability.SplitID(cp.ID); s != src.Name {
				bad(fmt.Sprintf("body/files/%s:%d", src.File, line), "capability %s does not belong to source %s", cp.ID, src.Name)
				continue
			}
			if e, ok := indexed[cp.ID]; !ok || e.Digest != cp.Digest {
				bad(fmt.Sprintf("body/files/%s:%d", src.File, line), "capability %s is not in the index with this digest", cp.ID)
				continue
			}
			ri.digests[cp.ID] = cp.Digest
			n++
		}
		if err := sc.Err(); err != nil {
			bad("body/files/"+src.File, "cannot be read line by line")
		}
		if n != src.Capabilities {
			bad(loc+"/capabilities", "says %d capabilities, the file has %d", src.Capabilities, n)
		}
	}
	for id := range indexed {
		if _, ok := ri.digests[id]; !ok {
			bad("body/index/capabilities", "lists %s, which no capability file has", id)
		}
	}
	names := make([]string, 0, len(doc.Files))
	for name := range doc.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !used[name] {
			bad("body/files/"+name, "is not named by the index")
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Location < errs[j].Location })
		return nil, errs
	}
	for id := range ri.digests {
		ri.ids = append(ri.ids, id)
	}
	sort.Strings(ri.ids)
	return ri, nil
}

// jsonErrorKind names a JSON decoding error without quoting input.
func jsonErrorKind(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "invalid JSON"
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %s has the wrong type", e.Field)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "does not decode"
}

// Digest implements validate.Registry.
func (ri *registryIndex) Digest(id string) (string, bool, error) {
	d, ok := ri.digests[id]
	return d, ok, nil
}

// Suggest implements validate.Registry.
func (ri *registryIndex) Suggest(id string) []string {
	return capability.Suggest(id, ri.ids, 3)
}

var _ validate.Registry = (*registryIndex)(nil)

// workspaceRegistry returns the validation view of the workspace's current
// registry: an empty one when none was pushed.
func workspaceRegistry(r *http.Request, st store.Store, ws string) (*registryIndex, error) {
	reg, err := st.CurrentRegistry(r.Context(), ws)
	if isNotFound(err) {
		return &registryIndex{digests: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var doc registryDoc
	if err := json.Unmarshal(reg.Document, &doc); err != nil {
		return nil, fmt.Errorf("registry version %d of workspace %s: %w", reg.Version, ws, err)
	}
	ri, errs := parseRegistry(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("registry version %d of workspace %s does not verify: %s %s", reg.Version, ws, errs[0].Location, errs[0].Message)
	}
	return ri, nil
}

type registryInfoJSON struct {
	Version      int64     `json:"version"`
	Digest       string    `json:"digest"`
	PushedBy     string    `json:"pushedBy,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	Sources      int       `json:"sources"`
	Capabilities int       `json:"capabilities"`
}

func registryInfoOf(reg store.Registry, ri *registryIndex) registryInfoJSON {
	return registryInfoJSON{
		Version: reg.Version, Digest: reg.Digest, PushedBy: reg.PushedBy, CreatedAt: reg.CreatedAt,
		Sources: len(ri.index.Sources), Capabilities: len(ri.ids),
	}
}

func (s *Server) pushRegistry(w http.ResponseWriter, r *http.Request, c *call) error {
	var doc registryDoc
	if err := decode(c, &doc); err != nil {
		return err
	}
	if doc.Files == nil {
		doc.Files = map[string]string{}
	}
	ri, errs := parseRegistry(doc)
	if len(errs) > 0 {
		return &problem{Status: http.StatusUnprocessableEntity, Detail: "the registry does not verify", Errors: errs}
	}
	// The canonical form: the index re-encoded compactly, files sorted by
	// name (encoding/json sorts map keys).
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc.Index); err != nil {
		return err
	}
	doc.Index = compact.Bytes()
	canon, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	var reg store.Registry
	err = s.change(r.Context(), c.ws, c.actor(), "registry.push", func(tx store.Store) (string, map[string]any, error) {
		cur, err := tx.CurrentRegistry(r.Context(), c.ws)
		digest := capability.DigestBytes(canon)
		if err == nil && cur.Digest == digest {
			reg = cur
			return "workspace/" + c.ws + "/registry", map[string]any{"version": cur.Version, "digest": digest, "unchanged": true}, nil
		}
		if err != nil && !isNotFound(err) {
			return "", nil, err
		}
		reg, err = tx.PushRegistry(r.Context(), store.Registry{
			WorkspaceID: c.ws, Digest: digest, Document: canon,
			PushedBy: c.actor(), CreatedAt: s.clock(),
		})
		if err != nil {
			return "", nil, err
		}
		return "workspace/" + c.ws + "/registry", map[string]any{
			"version": reg.Version, "digest": reg.Digest,
			"sources": len(ri.index.Sources), "capabilities": len(ri.ids),
		}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, registryInfoOf(reg, ri))
	return nil
}

func (s *Server) getRegistry(w http.ResponseWriter, r *http.Request, c *call) error {
	reg, err := s.st.CurrentRegistry(r.Context(), c.ws)
	if err != nil {
		return lookupErr(err, notFound("registry: none was pushed to this workspace"))
	}
	var doc registryDoc
	if err := json.Unmarshal(reg.Document, &doc); err != nil {
		return err
	}
	ri, errs := parseRegistry(doc)
	if len(errs) > 0 {
		return fmt.Errorf("stored registry version %d does not verify", reg.Version)
	}
	s.writeJSON(w, http.StatusOK, struct {
		registryInfoJSON
		Index json.RawMessage   `json:"index"`
		Files map[string]string `json:"files"`
	}{registryInfoOf(reg, ri), doc.Index, doc.Files})
	return nil
}
