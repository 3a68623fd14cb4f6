// Package remotetest starts the real Forge server on a loopback listener
// over a temporary SQLite database, for the tests of pkg/client and of the
// commands that talk to the server. It also builds a registry and a bundle
// that the server accepts.
package remotetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/server"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/sqlite"
	"github.com/forgehq/forge/internal/vault"
)

// Server is a running server.
type Server struct {
	URL   string // http://127.0.0.1:port
	Admin string // the admin credential (adm_…)
	Store store.Store
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "forge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	mk, _, err := vault.LoadOrCreateMasterKey(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := server.BootstrapAdmin(ctx, st, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Deps{Store: st, MasterKey: mk})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return &Server{URL: "http://" + ln.Addr().String(), Admin: admin, Store: st}
}

// CapabilityID is the one capability of the registry WriteRegistry writes.
const CapabilityID = "billing.listInvoices"

// CapabilityDigest is its pinned digest.
var CapabilityDigest = func() string {
	h := sha256.Sum256([]byte(CapabilityID))
	return "sha256:" + hex.EncodeToString(h[:])
}()

// WriteRegistry writes a registry with one source (billing) and one
// capability into dir and returns dir.
func WriteRegistry(t testing.TB, dir string) string {
	t.Helper()
	line, err := json.Marshal(capability.Capability{
		ID: CapabilityID, Source: "billing", Name: "listInvoices", Kind: capability.KindOpenAPI,
		Effect: capability.EffectRead, InputSchema: json.RawMessage(`{"type":"object"}`), Digest: CapabilityDigest,
	})
	if err != nil {
		t.Fatal(err)
	}
	file := string(line) + "\n"
	index := capability.Index{
		Version: capability.IndexVersion,
		Sources: []capability.SourceRecord{{
			SourceSpec: capability.SourceSpec{Name: "billing", Kind: capability.KindOpenAPI, Location: "billing.yaml"},
			Digest:     CapabilityDigest, Capabilities: 1, File: "billing.jsonl", FileDigest: capability.DigestBytes([]byte(file)),
		}},
		Capabilities: []capability.Entry{{ID: CapabilityID, Effect: capability.EffectRead, Digest: CapabilityDigest}},
	}
	idx, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, capability.IndexFile), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "billing.jsonl"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// EventType is the event type the bundle's manifest triggers on.
const EventType = "invoice.created"

// Manifest is a manifest using the registry's capability, the event type
// EventType and the secret SLACK_TOKEN.
func Manifest(name, version string) string {
	return fmt.Sprintf(`apiVersion: forge.dev/v1
name: %s
version: %s
description: Every Monday, post my open invoices to Slack.
module:
  wasm: module.wasm
triggers:
  - name: weekly
    schedule:
      cron: "0 9 * * MON"
  - name: invoice_created
    event:
      type: %s
secrets:
  - name: SLACK_TOKEN
    hosts: [slack.com]
egress:
  - https://slack.com/api/
config:
  - name: channel
    type: string
    default: "#finance"
capabilities:
  - id: %s
    digest: %s
`, name, version, EventType, CapabilityID, CapabilityDigest)
}

// WriteBundle writes a bundle of extension name at version into distDir
// with bundle.Write and returns its directory. Its manifest is Manifest's
// unless manifest is not empty.
func WriteBundle(t testing.TB, distDir, name, version, manifest string) string {
	t.Helper()
	if manifest == "" {
		manifest = Manifest(name, version)
	}
	dir, err := bundle.Write(distDir, &bundle.Bundle{
		Manifest: []byte(manifest),
		Module:   Module("weekly", "invoice_created"),
		Record: bundle.Record{
			Extension: name, ExtensionVersion: version, Toolchain: "test", Forge: "test",
			Capabilities: []bundle.CapabilityRef{{ID: CapabilityID, Digest: CapabilityDigest}},
			ToolCalls:    []bundle.ToolCall{{Capability: CapabilityID, ArgumentDigest: CapabilityDigest}},
			Model:        "test-model",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Module assembles a minimal WebAssembly reactor exporting memory,
// _initialize, forge_abi_version and one forge_on_<trigger> handler per
// trigger.
func Module(triggers ...string) []byte {
	leb := func(n int) []byte {
		var out []byte
		for {
			b := byte(n & 0x7f)
			n >>= 7
			if n != 0 {
				out = append(out, b|0x80)
				continue
			}
			return append(out, b)
		}
	}
	name := func(s string) []byte { return append(leb(len(s)), s...) }
	section := func(id byte, content []byte) []byte {
		return append(append([]byte{id}, leb(len(content))...), content...)
	}
	vec := func(items ...[]byte) []byte {
		out := leb(len(items))
		for _, it := range items {
			out = append(out, it...)
		}
		return out
	}
	types := vec([]byte{0x60, 0, 0}, []byte{0x60, 0, 1, 0x7f}) // () -> (); () -> (i32)
	funcs := [][]byte{{0}, {1}}
	exports := [][]byte{
		append(name("memory"), 2, 0),
		append(name("_initialize"), 0, 0),
		append(name("forge_abi_version"), 0, 1),
	}
	bodies := [][]byte{
		{2, 0, 0x0b},          // nop
		{4, 0, 0x41, 1, 0x0b}, // i32.const 1
	}
	for i, t := range triggers {
		funcs = append(funcs, []byte{1})
		exports = append(exports, append(name("forge_on_"+t), 0, byte(2+i)))
		bodies = append(bodies, []byte{4, 0, 0x41, 0, 0x0b})
	}
	mod := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	mod = append(mod, section(1, types)...)
	mod = append(mod, section(3, vec(funcs...))...)
	mod = append(mod, section(5, []byte{1, 0, 1})...)
	mod = append(mod, section(7, vec(exports...))...)
	mod = append(mod, section(10, vec(bodies...))...)
	return mod
}
