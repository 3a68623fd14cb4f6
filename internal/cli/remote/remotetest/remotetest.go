// Package remotetest starts the real Forge server on a loopback listener
// over a temporary SQLite database, for the tests of pkg/client and of the
// commands that talk to the server. It also builds a registry and a bundle
// that the server accepts.
package remotetest

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/server/servertest"

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

// The shared fixtures, re-exported for the client's and the CLI's tests.
const (
	CapabilityID = servertest.CapabilityID
	EventType    = servertest.EventType
)

// CapabilityDigest is the pinned digest of CapabilityID.
var CapabilityDigest = servertest.CapabilityDigest

// Manifest is servertest.Manifest.
func Manifest(name, version string) string { return servertest.Manifest(name, version) }

// WriteRegistry writes the shared registry fixture into dir and returns dir.
func WriteRegistry(t testing.TB, dir string) string {
	t.Helper()
	index, files := servertest.Registry()
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
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// WriteBundle writes a bundle of extension name at version into distDir
// with bundle.Write and returns its directory. Its manifest is Manifest's
// unless manifest is not empty.
func WriteBundle(t testing.TB, distDir, name, version, manifest string) string {
	t.Helper()
	if manifest == "" {
		manifest = Manifest(name, version)
	}
	module := servertest.Module("weekly", "invoice_created")
	dir, err := bundle.Write(distDir, &bundle.Bundle{
		Manifest: []byte(manifest), Module: module,
		Record: servertest.Record(name, version, []byte(manifest), module),
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Module is servertest.Module.
func Module(triggers ...string) []byte { return servertest.Module(triggers...) }
