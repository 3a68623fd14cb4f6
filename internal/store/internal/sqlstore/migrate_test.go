package sqlstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/internal/sqlstore"
	"github.com/forgehq/forge/internal/store/sqlite"
)

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_second.sql": {Data: []byte("B")},
		"m/0001_first.sql":  {Data: []byte("A")},
		"m/README.md":       {Data: []byte("ignored")},
	}
	ms, err := sqlstore.LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[0].Name != "first" || ms[0].SQL != "A" || ms[1].Version != 2 {
		t.Fatalf("migrations = %+v", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no number": {"m/first.sql": {}},
		"zero":      {"m/0000_zero.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/1_b.sql": {}},
	} {
		if _, err := sqlstore.LoadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestMigrateAtomic: a failing migration leaves the schema as it was,
// including the migrations before it in the same run.
func TestMigrateAtomic(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "forge.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	var before int
	if err := db.Reader().QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	ms := []sqlstore.Migration{
		{Version: 1, Name: "init", SQL: "this is never run again"},
		{Version: 1000, Name: "good", SQL: "CREATE TABLE extra (a INTEGER)"},
		{Version: 1001, Name: "bad", SQL: "CREATE TABLE broken ("},
	}
	if _, err := sqlstore.Migrate(t.Context(), db, ms, nil); err == nil {
		t.Fatal("broken migration applied")
	}
	var n int
	if err := db.Reader().QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != before {
		t.Fatalf("schema_migrations rows = %d, %v", n, err)
	}
	err = db.Reader().QueryRow(t.Context(), `SELECT name FROM sqlite_master WHERE name = 'extra'`).Scan(new(string))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("migration 2 not rolled back: %v", err)
	}
	applied, err := sqlstore.Migrate(t.Context(), db, ms[:2], nil)
	if err != nil || len(applied) != 1 || applied[0] != 1000 {
		t.Fatalf("applied = %v, %v", applied, err)
	}
	applied, err = sqlstore.Migrate(t.Context(), db, ms[:2], nil)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second run applied = %v, %v", applied, err)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                            "SELECT 1",
		"WHERE a = ? AND b IN (?, ?) LIMIT ?": "WHERE a = $1 AND b IN ($2, $3) LIMIT $4",
	} {
		if got := sqlstore.Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
