package audit

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/sqlite" // also registers the "sqlite" database/sql driver
)

func openStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forge.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

// rawDB opens the database file directly, as an attacker with file access
// would, bypassing the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func appendN(t *testing.T, s store.AuditStore, ws string, n int) {
	t.Helper()
	for i := range n {
		if _, err := Append(t.Context(), s, ws, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func wantStoreBreak(t *testing.T, s store.AuditStore, ws string, wantN int, seq int64, reason string) {
	t.Helper()
	for _, page := range []int{PageSize, 7, 1} {
		n, brk, err := verifyStore(t.Context(), s, ws, page)
		if err != nil {
			t.Fatal(err)
		}
		if n != wantN {
			t.Fatalf("page %d: %d records verified, want %d", page, n, wantN)
		}
		if seq == 0 {
			if brk != nil {
				t.Fatalf("page %d: VerifyStore = %v, want nil", page, brk)
			}
			continue
		}
		wantBreak(t, fmt.Sprintf("page %d", page), brk, seq, reason)
	}
}

func TestStoreEndToEnd(t *testing.T) {
	s, path := openStore(t)
	ctx := t.Context()
	appendN(t, s, "ws-a", 100)
	appendN(t, s, "ws-b", 100)
	appendN(t, s, "ws-c", 100)
	wantStoreBreak(t, s, "ws-a", 100, 0, "")
	wantStoreBreak(t, s, "ws-empty", 0, 0, "")
	n, brk, err := VerifyStore(ctx, s, "ws-b")
	if err != nil || n != 100 || brk != nil {
		t.Fatalf("VerifyStore = %d, %v, %v", n, brk, err)
	}
	recs, err := s.ListAudit(ctx, "ws-a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := Verify(recs); b != nil {
		t.Fatalf("Verify of the stored chain = %v", b)
	}

	db := rawDB(t, path)
	// The append-only triggers stop a plain UPDATE …
	if _, err := db.ExecContext(ctx, `UPDATE audit_records SET actor = 'mallory' WHERE workspace_id = 'ws-a' AND seq = 42`); err == nil {
		t.Fatal("UPDATE of an audit record succeeded with the trigger in place")
	}
	// … so the attacker drops them first.
	for _, stmt := range []string{
		`DROP TRIGGER audit_records_no_update`,
		`DROP TRIGGER audit_records_no_delete`,
		`UPDATE audit_records SET actor = 'mallory' WHERE workspace_id = 'ws-a' AND seq = 42`,
		`DELETE FROM audit_records WHERE workspace_id = 'ws-b' AND seq = 60`,
		`UPDATE audit_records SET seq = 1000 WHERE workspace_id = 'ws-c' AND seq = 25`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	wantStoreBreak(t, s, "ws-a", 41, 42, ReasonHashMismatch)
	wantStoreBreak(t, s, "ws-b", 59, 60, ReasonMissing)
	wantStoreBreak(t, s, "ws-c", 24, 25, ReasonMissing)

	// Rewriting a record and recomputing its hash is caught by the next link.
	s2, path2 := openStore(t)
	appendN(t, s2, "ws", 10)
	r5, err := s2.ListAudit(ctx, "ws", 4, 1)
	if err != nil || len(r5) != 1 {
		t.Fatal(err)
	}
	forged := r5[0]
	forged.Target = "forged"
	forged.Hash = Hash(forged)
	db2 := rawDB(t, path2)
	for _, q := range []struct {
		stmt string
		args []any
	}{
		{`DROP TRIGGER audit_records_no_update`, nil},
		{`UPDATE audit_records SET target = ?, hash = ? WHERE workspace_id = 'ws' AND seq = 5`, []any{forged.Target, forged.Hash}},
	} {
		if _, err := db2.ExecContext(ctx, q.stmt, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	wantStoreBreak(t, s2, "ws", 5, 6, ReasonPrevHash)
}

func TestStoreConcurrentAppends(t *testing.T) {
	s, _ := openStore(t)
	const n = 30
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = Append(t.Context(), s, "ws", entry(i)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantStoreBreak(t, s, "ws", n, 0, "")
}

func TestStoreAppendInTransaction(t *testing.T) {
	s, _ := openStore(t)
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Transaction(ctx, func(tx store.Store) error {
		if _, err := Append(ctx, tx, "ws", Entry{Action: "extension.approve", Target: "e1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.LastAudit(ctx, "ws"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back audit record is visible: %v", err)
	}
	err = s.Transaction(ctx, func(tx store.Store) error {
		_, err := tx.AppendAudit(ctx, "ws", func(prev store.AuditRecord) (store.AuditRecord, error) {
			return Next(prev, Entry{Action: "extension.approve", Target: "e1", Details: map[string]any{"version": 3}})
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.LastAudit(ctx, "ws")
	if err != nil || last.Seq != 1 || string(last.Details) != `{"version":3}` {
		t.Fatalf("last = %+v, %v", last, err)
	}
	// A record the store refuses (credential in it) leaves the chain alone.
	plain, _, err := auth.New(auth.KindAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Append(ctx, s, "ws", Entry{Action: "key.create", Target: plain}); err == nil {
		t.Fatal("credential recorded")
	}
	wantStoreBreak(t, s, "ws", 1, 0, "")
}

// TestStoreNewestRecordTampered: the chain head catches what links alone
// cannot: the newest records deleted, the newest record rewritten with a
// recomputed hash, and a forged record appended after the head. Deleting
// the newest record and then appending through the store does not hide the
// deletion either: the new record links to the head.
func TestStoreNewestRecordTampered(t *testing.T) {
	const n = 10
	cases := []struct {
		name   string
		attack func(t *testing.T, db *sql.DB, s store.AuditStore)
		wantN  int
		seq    int64
		reason string
	}{
		{"delete the newest", func(t *testing.T, db *sql.DB, _ store.AuditStore) {
			exec(t, db, `DELETE FROM audit_records WHERE seq = ?`, n)
		}, n - 1, n, ReasonMissing},
		{"delete the newest three", func(t *testing.T, db *sql.DB, _ store.AuditStore) {
			exec(t, db, `DELETE FROM audit_records WHERE seq > ?`, n-3)
		}, n - 3, n - 2, ReasonMissing},
		{"delete the newest, then append", func(t *testing.T, db *sql.DB, s store.AuditStore) {
			exec(t, db, `DELETE FROM audit_records WHERE seq = ?`, n)
			appendN(t, s, "ws", 1)
		}, n - 1, n, ReasonMissing},
		{"rewrite the newest", func(t *testing.T, db *sql.DB, s store.AuditStore) {
			last, err := s.LastAudit(t.Context(), "ws")
			if err != nil {
				t.Fatal(err)
			}
			last.Target = "forged"
			exec(t, db, `UPDATE audit_records SET target = ?, hash = ? WHERE seq = ?`, last.Target, Hash(last), n)
		}, n, n, ReasonHead},
		{"append a forged record", func(t *testing.T, db *sql.DB, s store.AuditStore) {
			last, err := s.LastAudit(t.Context(), "ws")
			if err != nil {
				t.Fatal(err)
			}
			forged, err := Next(last, Entry{Action: "key.create", Target: "k-forged", Time: last.Time})
			if err != nil {
				t.Fatal(err)
			}
			exec(t, db, `INSERT INTO audit_records (workspace_id, seq, time, actor, action, target, details, prev_hash, hash)
				VALUES ('ws', ?, ?, '', ?, ?, NULL, ?, ?)`, forged.Seq, forged.Time.UnixMicro(), forged.Action, forged.Target, forged.PrevHash, forged.Hash)
		}, n + 1, n + 1, ReasonHead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, path := openStore(t)
			appendN(t, s, "ws", n)
			wantStoreBreak(t, s, "ws", n, 0, "")
			db := rawDB(t, path)
			exec(t, db, `DROP TRIGGER audit_records_no_update`)
			exec(t, db, `DROP TRIGGER audit_records_no_delete`)
			tc.attack(t, db, s)
			wantStoreBreak(t, s, "ws", tc.wantN, tc.seq, tc.reason)
		})
	}
}

// TestStoreVerifyWhileAppending: records appended while a verify reads the
// chain are not mistaken for records beyond the head.
func TestStoreVerifyWhileAppending(t *testing.T) {
	s, _ := openStore(t)
	appendN(t, s, "ws", 5)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 300 {
			if _, err := Append(t.Context(), s, "ws", entry(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for verifies := 0; ; verifies++ {
		if _, brk, err := verifyStore(t.Context(), s, "ws", 3); err != nil || brk != nil {
			t.Fatalf("verify %d while appending = %v, %v", verifies, brk, err)
		}
		select {
		case <-done:
			t.Logf("%d verifies while appending", verifies+1)
			return
		default:
		}
	}
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
