package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
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

// parseRegistry checks a pushed registry document with capability.Verify
// (the checks the CLI's registry reader makes) and returns its index. Every
// problem is a field error naming the file and line, or the index field.
func parseRegistry(doc registryDoc) (*registryIndex, []fieldError) {
	files := make(map[string][]byte, len(doc.Files))
	for name, text := range doc.Files {
		files[name] = []byte(text)
	}
	idx, probs := capability.Verify(doc.Index, files)
	if len(probs) > 0 {
		errs := make([]fieldError, len(probs))
		for i, p := range probs {
			loc := "body/files/" + p.File
			switch {
			case p.File == capability.IndexFile:
				loc = "body/index" + p.Field
			case p.Line > 0:
				loc += ":" + strconv.Itoa(p.Line)
			}
			errs[i] = fieldError{Location: loc, Message: p.Message}
		}
		return nil, errs
	}
	ri := &registryIndex{index: *idx, digests: make(map[string]string, len(idx.Capabilities)), ids: make([]string, len(idx.Capabilities))}
	for i, e := range idx.Capabilities { // sorted by id: Verify checks it
		ri.digests[e.ID] = e.Digest
		ri.ids[i] = e.ID
	}
	return ri, nil
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

// registryCache keeps the parsed current registry of each workspace, keyed
// by the registry's digest: a registry is content-addressed, so an entry
// is right for as long as the workspace's current digest is its digest,
// and a push (here or on another replica) changes the digest.
type registryCache struct {
	mu sync.Mutex
	m  map[string]cachedRegistry // workspace id ->
}

type cachedRegistry struct {
	digest string
	ri     *registryIndex
}

// workspaceRegistry returns the validation view of the workspace's current
// registry (nil, nil when none was pushed), parsing a stored document only
// when its digest is not the cached one.
func (s *Server) workspaceRegistry(ctx context.Context, ws string) (*store.Registry, *registryIndex, error) {
	reg, err := s.st.CurrentRegistry(ctx, ws)
	if isNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	s.registries.mu.Lock()
	c, ok := s.registries.m[ws]
	s.registries.mu.Unlock()
	if ok && c.digest == reg.Digest {
		return &reg, c.ri, nil
	}
	var doc registryDoc
	if err := json.Unmarshal(reg.Document, &doc); err != nil {
		return nil, nil, fmt.Errorf("registry version %d of workspace %s: %w", reg.Version, ws, err)
	}
	ri, errs := parseRegistry(doc)
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("registry version %d of workspace %s does not verify: %s %s", reg.Version, ws, errs[0].Location, errs[0].Message)
	}
	s.registries.mu.Lock()
	if s.registries.m == nil {
		s.registries.m = map[string]cachedRegistry{}
	}
	s.registries.m[ws] = cachedRegistry{digest: reg.Digest, ri: ri}
	s.registries.mu.Unlock()
	return &reg, ri, nil
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
	reg, ri, err := s.workspaceRegistry(r.Context(), c.ws)
	if err != nil {
		return err
	}
	if reg == nil {
		return notFound("registry: none was pushed to this workspace")
	}
	var doc registryDoc
	if err := json.Unmarshal(reg.Document, &doc); err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, struct {
		registryInfoJSON
		Index json.RawMessage   `json:"index"`
		Files map[string]string `json:"files"`
	}{registryInfoOf(*reg, ri), doc.Index, doc.Files})
	return nil
}
