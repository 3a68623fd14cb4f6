package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/internal/sqlstore"
	"github.com/forgehq/forge/internal/store/storetest"
)

// testDSN returns FORGE_TEST_POSTGRES_DSN or skips.
func testDSN(t testing.TB) string {
	dsn := os.Getenv("FORGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("FORGE_TEST_POSTGRES_DSN is not set")
	}
	return dsn
}

// newSchema creates a schema of its own for this test and drops it at the
// end, and returns a DSN whose search_path points at it.
func newSchema(t testing.TB) string {
	base := testDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "forge_test_" + hex.EncodeToString(b[:])
	ctx := context.WithoutCancel(t.Context())
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return withSearchPath(t, base, schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func open(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after newSchema's cleanup, so it runs before the drop.
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t,
		func(t *testing.T) store.Store { return open(t, newSchema(t)) },
		storetest.WithShared(func(t *testing.T, n int) []store.Store {
			dsn := newSchema(t)
			out := make([]store.Store, n)
			for i := range out {
				out[i] = open(t, dsn)
			}
			return out
		}),
		storetest.WithRawDump(rawDump),
	)
}

// rawDump returns the raw bytes of every column of every table in the
// store's schema.
func rawDump(t *testing.T, s store.Store) []byte {
	cfg := s.(*Store).DB().(*pgDB).pool.Config().ConnConfig
	ctx := t.Context()
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, table := range tables {
		rows, err := conn.Query(ctx, "SELECT * FROM "+pgx.Identifier{table}.Sanitize())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					raw = append(raw, v...)
				case string:
					raw = append(raw, v...)
				default:
					raw = fmt.Append(raw, v)
				}
				raw = append(raw, 0)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// TestConcurrentMigrate: several server processes start at once on an
// empty schema; the advisory lock lets exactly one migrate.
func TestConcurrentMigrate(t *testing.T) {
	dsn := newSchema(t)
	const n = 6
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	var count int
	if err := stores[0].DB().Reader().QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); count != want {
		t.Fatalf("schema_migrations has %d rows, want %d", count, want)
	}
	s := open(t, dsn) // and again, idempotent
	if _, err := s.ListWorkspaces(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestAuditAppendOnly: the database itself refuses to change audit records.
func TestAuditAppendOnly(t *testing.T) {
	s := open(t, newSchema(t))
	c := t.Context()
	_, err := s.AppendAudit(c, "ws", func(prev store.AuditRecord) (store.AuditRecord, error) {
		return store.AuditRecord{Seq: 1, Time: storetest.T0, Action: "a", Hash: []byte("h")}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_records SET actor = 'eve'`, `DELETE FROM audit_records`} {
		_, err := s.DB().Reader().Exec(c, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: error = %v", q, err)
		}
	}
}

func BenchmarkListExtensions(b *testing.B) {
	storetest.BenchListExtensions(b, open(b, newSchema(b)))
}

func BenchmarkLookupAPIKey(b *testing.B) {
	storetest.BenchLookupAPIKey(b, open(b, newSchema(b)))
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
