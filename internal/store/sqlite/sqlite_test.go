package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/internal/sqlstore"
	"github.com/forgehq/forge/internal/store/storetest"
)

func openTemp(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t,
		func(t *testing.T) store.Store { return openTemp(t, filepath.Join(t.TempDir(), "forge.db")) },
		storetest.WithShared(func(t *testing.T, n int) []store.Store {
			path := filepath.Join(t.TempDir(), "forge.db")
			out := make([]store.Store, n)
			for i := range out {
				out[i] = openTemp(t, path)
			}
			return out
		}),
		storetest.WithRawDump(func(t *testing.T, s store.Store) []byte {
			path := s.(*Store).Path()
			var raw []byte
			for _, p := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(p)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				raw = append(raw, b...)
			}
			return raw
		}),
	)
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forge.db")
	s := openTemp(t, path)
	w := store.Workspace{Name: "keep"}
	if err := s.CreateWorkspace(t.Context(), &w); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openTemp(t, path)
	if _, err := s2.GetWorkspace(t.Context(), w.ID); err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
	var n int
	if err := s2.DB().Reader().QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); n != want {
		t.Fatalf("schema_migrations has %d rows, want %d", n, want)
	}
}

// TestMigrationBackfillsCurrentState: migration 0003 fills the new
// extensions.current_state column from the versions of a database written
// before it. The test drops the column and forgets the migration, then
// reopens the store, which applies 0003 again.
func TestMigrationBackfillsCurrentState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forge.db")
	s := openTemp(t, path)
	c := t.Context()
	w := store.Workspace{Name: "w"}
	must(t, s.CreateWorkspace(c, &w))
	must(t, s.CreateSubject(c, &store.Subject{WorkspaceID: w.ID, ID: "cust"}))
	want := map[string]store.VersionState{}
	for _, name := range []string{"pending", "active", "disabled"} {
		v, err := s.PushVersion(c, store.PushVersion{
			Namespace:    store.Namespace{WorkspaceID: w.ID, SubjectID: "cust", Extension: name},
			ModuleDigest: "sha256:00", CreatedBy: "agent",
		})
		must(t, err)
		want[name] = ""
		if name == "pending" {
			continue
		}
		_, err = s.ApproveVersion(c, w.ID, v.ExtensionID, v.Version, store.Decision{Actor: "r"})
		must(t, err)
		want[name] = store.StateActive
		if name == "disabled" {
			_, err = s.DisableExtension(c, w.ID, v.ExtensionID, store.Decision{Actor: "r"})
			must(t, err)
			want[name] = store.StateDisabled
		}
	}
	writer := s.DB().(*sqliteDB).writer
	for _, q := range []string{`ALTER TABLE extensions DROP COLUMN current_state`, `DELETE FROM schema_migrations WHERE version = 3`} {
		if _, err := writer.ExecContext(c, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, s.Close())
	s = openTemp(t, path)
	list, err := s.ListExtensions(c, w.ID, "cust")
	must(t, err)
	if len(list) != len(want) {
		t.Fatalf("%d extensions, want %d", len(list), len(want))
	}
	for _, e := range list {
		if e.CurrentState != want[e.Name] {
			t.Errorf("%s: current state = %q after the migration, want %q", e.Name, e.CurrentState, want[e.Name])
		}
	}
}

// TestMigrationBackfillsAuditHeads: migration 0004 sets each chain's head
// to its newest record, so chains written before it verify and go on.
func TestMigrationBackfillsAuditHeads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forge.db")
	s := openTemp(t, path)
	c := t.Context()
	var last store.AuditRecord
	for i := range 3 {
		var err error
		last, err = s.AppendAudit(c, "ws", func(prev store.AuditRecord) (store.AuditRecord, error) {
			return store.AuditRecord{Seq: prev.Seq + 1, PrevHash: prev.Hash, Time: storetest.T0, Action: "a", Hash: []byte{byte(i + 1)}}, nil
		})
		must(t, err)
	}
	writer := s.DB().(*sqliteDB).writer
	for _, q := range []string{`DROP TABLE audit_heads`, `DELETE FROM schema_migrations WHERE version = 4`} {
		if _, err := writer.ExecContext(c, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, s.Close())
	s = openTemp(t, path)
	head, err := s.AuditHead(c, "ws")
	must(t, err)
	if head.Seq != last.Seq || !bytes.Equal(head.Hash, last.Hash) {
		t.Fatalf("head after the migration = %+v, want seq %d hash %x", head, last.Seq, last.Hash)
	}
}

// TestMigrationKeepsOneAdmin: migration 0005 revokes the admin credentials
// a bootstrap race left valid before it, keeping the newest, and then
// admits no second valid one.
func TestMigrationKeepsOneAdmin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forge.db")
	s := openTemp(t, path)
	c := t.Context()
	writer := s.DB().(*sqliteDB).writer
	for _, q := range []string{`DROP INDEX admin_credentials_one_valid`, `DELETE FROM schema_migrations WHERE version = 5`} {
		if _, err := writer.ExecContext(c, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i := range 3 {
		must(t, s.CreateAdminCredential(c, &store.AdminCredential{ID: fmt.Sprint("a", i), Hash: []byte{byte(i + 1)}, CreatedAt: storetest.T0.Add(time.Duration(i) * time.Minute)}))
	}
	must(t, s.Close())
	s = openTemp(t, path)
	cs, err := s.ListAdminCredentials(c)
	must(t, err)
	for _, a := range cs {
		if a.Revoked() != (a.ID != "a2") {
			t.Errorf("%s: revoked = %v after the migration", a.ID, a.Revoked())
		}
	}
	if err := s.CreateAdminCredential(c, &store.AdminCredential{Hash: []byte{9}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second valid admin credential: %v, want a conflict", err)
	}
}

// TestConcurrentOpen: several processes starting on one new file at once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forge.db")
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := Open(context.WithoutCancel(t.Context()), path)
			if err == nil {
				w := store.Workspace{Name: fmt.Sprint(i)}
				err = s.CreateWorkspace(t.Context(), &w)
				_ = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := openTemp(t, path)
	ws, err := s.ListWorkspaces(t.Context())
	if err != nil || len(ws) != n {
		t.Fatalf("workspaces = %d, %v", len(ws), err)
	}
}

func TestPragmas(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "forge.db"))
	db := s.DB().(*sqliteDB)
	var mode string
	if err := db.writer.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	for _, conn := range []string{"writer", "reader"} {
		h := db.writer
		if conn == "reader" {
			h = db.reader
		}
		var fk, busy int
		if err := h.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Fatalf("%s foreign_keys = %d, %v", conn, fk, err)
		}
		if err := h.QueryRowContext(t.Context(), `PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != BusyTimeoutMillis {
			t.Fatalf("%s busy_timeout = %d, %v", conn, busy, err)
		}
	}
	// The reader pool cannot write.
	if _, err := db.reader.ExecContext(t.Context(), `INSERT INTO workspaces (id, name, created_at) VALUES ('x', 'x', 0)`); err == nil {
		t.Fatal("reader connection accepted a write")
	}
}

// TestAuditAppendOnly: the database itself refuses to change audit records.
func TestAuditAppendOnly(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "forge.db"))
	c := t.Context()
	_, err := s.AppendAudit(c, "ws", func(prev store.AuditRecord) (store.AuditRecord, error) {
		return store.AuditRecord{Seq: 1, Time: storetest.T0, Action: "a", Hash: []byte("h")}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_records SET actor = 'eve'`, `DELETE FROM audit_records`} {
		_, err := s.DB().(*sqliteDB).writer.ExecContext(c, q)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("append-only")) {
			t.Fatalf("%s: error = %v", q, err)
		}
	}
}

func BenchmarkListExtensions(b *testing.B) {
	s := openTemp(b, filepath.Join(b.TempDir(), "forge.db"))
	storetest.BenchListExtensions(b, s)
}

func BenchmarkLookupAPIKey(b *testing.B) {
	s := openTemp(b, filepath.Join(b.TempDir(), "forge.db"))
	storetest.BenchLookupAPIKey(b, s)
}

func TestPathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my data?#%", "forge db.sqlite")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	s := openTemp(t, path)
	w := store.Workspace{Name: "x"}
	if err := s.CreateWorkspace(t.Context(), &w); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
}

// migrationCount is how many migrations the package embeds.
func migrationCount(t *testing.T) int {
	t.Helper()
	ms, err := sqlstore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
