package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/server/servertest"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/sqlite"
)

// changedRegistry is servertest's registry with the capability's
// description changed: the same id under a new digest.
func changedRegistry(t *testing.T) ([]byte, string) {
	t.Helper()
	c := capability.Capability{
		Name: "listInvoices", Kind: capability.KindOpenAPI, Effect: capability.EffectRead,
		Description: "changed", InputSchema: json.RawMessage(`{"type":"object"}`),
	}
	if err := c.Seal("billing"); err != nil {
		t.Fatal(err)
	}
	line, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	file := string(line) + "\n"
	idx, _ := servertest.Registry()
	idx.Sources[0].FileDigest = capability.DigestBytes([]byte(file))
	idx.Capabilities[0].Digest = c.Digest
	index, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(registryDoc{Index: index, Files: map[string]string{"billing.jsonl": file}})
	if err != nil {
		t.Fatal(err)
	}
	return doc, c.Digest
}

// TestRegistryChangeSeenByNextPush: pushes validate against the current
// registry even when another replica replaced it (written straight to the
// shared store here), although this server keeps the parsed registry of
// the previous push.
func TestRegistryChangeSeenByNextPush(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			s := e.setup("acme") // its push parsed (and cached) the first registry
			pushPath := s.ws.path("/subjects/" + s.subject + "/extensions")
			e.must(http.StatusCreated, "POST", pushPath, s.token, servertest.PushBody(s.ext, "1.0.1"))

			doc, digest := changedRegistry(t)
			if _, err := e.st.PushRegistry(t.Context(), store.Registry{
				WorkspaceID: s.ws.id, Digest: capability.DigestBytes(doc), Document: doc, PushedBy: "replica-2", CreatedAt: time.Now(),
			}); err != nil {
				t.Fatal(err)
			}
			r := e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, servertest.PushBody(s.ext, "1.0.2"))
			if !strings.Contains(string(r.body), "registry/digest-mismatch") {
				t.Fatalf("push against the replaced registry: %s", r.body)
			}
			got := e.must(http.StatusOK, "GET", s.ws.path("/registry"), s.ws.key, nil).obj(t)
			if got["version"].(float64) != 2 || !strings.Contains(string(mustJSON(t, got["index"])), digest) {
				t.Fatalf("GET /registry after the replacement = version %v", got["version"])
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkWorkspaceRegistry: the registry a push validates against, for a
// workspace with 5,000 capabilities, parsed every time (uncached: a new
// digest, or the first push after a start) and from the cache.
func BenchmarkWorkspaceRegistry(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "forge.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	ws := store.Workspace{Name: "bench"}
	if err := st.CreateWorkspace(b.Context(), &ws); err != nil {
		b.Fatal(err)
	}
	var file strings.Builder
	idx := capability.Index{Version: capability.IndexVersion}
	const n = 5000
	for i := range n {
		c := capability.Capability{
			Name: fmt.Sprintf("op%05d", i), Kind: capability.KindOpenAPI, Effect: capability.EffectRead,
			Description: strings.Repeat("An operation of the benchmark API. ", 20),
			InputSchema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"},"limit":{"type":"integer"}}}`),
		}
		if err := c.Seal("big"); err != nil {
			b.Fatal(err)
		}
		line, _ := json.Marshal(c)
		file.Write(append(line, '\n'))
		idx.Capabilities = append(idx.Capabilities, capability.Entry{ID: c.ID, Effect: c.Effect, Digest: c.Digest})
	}
	idx.Sources = []capability.SourceRecord{{
		SourceSpec: capability.SourceSpec{Name: "big", Kind: capability.KindOpenAPI, Location: "big.yaml"},
		Digest:     "sha256:" + strings.Repeat("0", 64), Capabilities: n, File: "big.jsonl", FileDigest: capability.DigestBytes([]byte(file.String())),
	}}
	index, _ := json.Marshal(idx)
	doc, _ := json.Marshal(registryDoc{Index: index, Files: map[string]string{"big.jsonl": file.String()}})
	if _, errs := parseRegistry(registryDoc{Index: index, Files: map[string]string{"big.jsonl": file.String()}}); len(errs) > 0 {
		b.Fatal(errs)
	}
	if _, err := st.PushRegistry(b.Context(), store.Registry{WorkspaceID: ws.ID, Digest: capability.DigestBytes(doc), Document: doc, CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	b.Logf("registry document: %d bytes", len(doc))
	for _, cached := range []bool{false, true} {
		name := "uncached"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			s := &Server{st: st}
			for b.Loop() {
				if !cached {
					s.registries = registryCache{}
				}
				if _, ri, err := s.workspaceRegistry(b.Context(), ws.ID); err != nil || len(ri.ids) != n {
					b.Fatal(err)
				}
			}
		})
	}
}
