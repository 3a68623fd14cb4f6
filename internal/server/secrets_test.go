package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/postgres"
	"github.com/forgehq/forge/internal/store/sqlite"
	"github.com/forgehq/forge/internal/vault"
)

func randomSecret(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// TestSecretsNeverLeak: secret values set through the API appear nowhere
// but in the sealed ciphertext: not in the SQLite file or its WAL, the
// server log, any API response, the audit records or error messages.
func TestSecretsNeverLeak(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.setup("acme")
	sec := func(name string) string { return s.ws.ext(s.subject, s.ext, "/secrets/"+name) }
	values := []string{randomSecret("xoxb-first-"), randomSecret("xoxb-second-"), randomSecret("hunter2-")}
	e.must(http.StatusOK, "PUT", sec("SLACK_TOKEN"), s.token, map[string]any{"value": values[0]})
	e.must(http.StatusOK, "PUT", sec("SLACK_TOKEN"), s.ws.key, map[string]any{"value": values[1]})
	e.must(http.StatusOK, "PUT", sec("OTHER"), s.token, map[string]any{"value": values[2]})

	// Requests that fail must not quote the value either.
	bad := []map[string]any{
		{"value": values[0], "extra": values[1]},
		{"value": values[0] + strings.Repeat("x", 70000)},
		{"valu": values[2]},
		{"value": []string{values[0]}},
	}
	for _, body := range bad {
		e.do("PUT", sec("SLACK_TOKEN"), s.token, body)
	}
	e.do("PUT", sec("bad name"), s.token, map[string]any{"value": values[0]})
	e.do("PUT", sec("SLACK_TOKEN"), s.token, raw{contentType: "text/plain", body: []byte(values[0])})
	e.do("PUT", sec("SLACK_TOKEN"), s.token, raw{contentType: "application/json", body: []byte(`{"value":"` + values[0] + `"`)})
	e.do("PUT", s.ws.ext(s.subject, "missing", "/secrets/SLACK_TOKEN"), s.token, map[string]any{"value": values[0]})
	e.do("PUT", sec("SLACK_TOKEN"), "", map[string]any{"value": values[0]})

	// Reading everything there is to read.
	e.must(http.StatusOK, "GET", s.ws.ext(s.subject, s.ext, "/secrets"), s.token, nil)
	e.must(http.StatusOK, "GET", s.ws.path("/audit?limit=1000"), s.ws.key, nil)
	e.must(http.StatusOK, "GET", s.ws.ext(s.subject, s.ext, "/versions/1"), s.token, nil)

	// The secret is stored, sealed.
	exts, _ := e.st.ListExtensions(t.Context(), s.ws.id, "")
	got, err := e.st.GetSecret(t.Context(), exts[0].Namespace(), "SLACK_TOKEN")
	if err != nil || len(got.Ciphertext) == 0 || len(got.Nonce) == 0 {
		t.Fatalf("stored secret: %+v, %v", got, err)
	}

	places := map[string][]byte{
		"server log":    e.logs.Bytes(),
		"API responses": e.seen.Bytes(),
	}
	recs, err := e.st.ListAudit(t.Context(), s.ws.id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var auditText bytes.Buffer
	for _, r := range recs {
		auditText.WriteString(r.Actor + r.Action + r.Target)
		auditText.Write(r.Details)
	}
	places["audit records"] = auditText.Bytes()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && suffix == "" {
			t.Fatal(err)
		}
		places["database file"+suffix] = b
	}
	if len(e.logs.Bytes()) == 0 || len(places["database file"]) == 0 {
		t.Fatal("nothing to search")
	}
	for place, data := range places {
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("secret value found in the %s", place)
			}
		}
		for _, cred := range []string{s.ws.key, s.ws.signing, s.token, e.admin} {
			if place != "API responses" && bytes.Contains(data, []byte(cred)) {
				t.Errorf("credential %.4s… found in the %s", cred, place)
			}
		}
	}
	// The ciphertext opens, with the workspace's data key unwrapped by the
	// server's master key, to the value last written, and only under its
	// own namespace and name: it is sealed to both (invariant 7).
	k, err := e.st.GetDataKey(t.Context(), s.ws.id, got.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	dk, err := vault.UnwrapDataKey(e.mk, k.Wrapped)
	if err != nil {
		t.Fatal(err)
	}
	ns := exts[0].Namespace()
	plain, err := dk.Open(got.Nonce, got.Ciphertext, vault.AAD(ns.String(), "SLACK_TOKEN"))
	if err != nil || string(plain) != values[1] {
		t.Fatalf("the stored secret opens to %d bytes, %v; want the value last written", len(plain), err)
	}
	other := ns
	other.Extension = "other-ext"
	for what, aad := range map[string]string{
		"another namespace": vault.AAD(other.String(), "SLACK_TOKEN"),
		"another subject":   vault.AAD(store.Namespace{WorkspaceID: ns.WorkspaceID, SubjectID: "cus_other", Extension: ns.Extension}.String(), "SLACK_TOKEN"),
		"another name":      vault.AAD(ns.String(), "OTHER"),
	} {
		if _, err := dk.Open(got.Nonce, got.Ciphertext, aad); !errors.Is(err, vault.ErrDecrypt) {
			t.Errorf("the secret opened under %s: %v, want vault.ErrDecrypt", what, err)
		}
	}
}

// TestAuditTamper: an attacker with database access drops the append-only
// trigger and changes or deletes one record, the newest included;
// /audit/verify names that record.
func TestAuditTamper(t *testing.T) {
	const update = `UPDATE audit_records SET action = 'subject.nothing-to-see' WHERE workspace_id = ? AND seq = ?`
	const remove = `DELETE FROM audit_records WHERE workspace_id = ? AND seq = ?`
	for _, driver := range drivers() {
		for _, tc := range []struct {
			name   string
			stmt   string
			newest bool // tamper with the newest record, not record 3
		}{
			{"change", update, false},
			{"delete", remove, false},
			{"change the newest", update, true},
			{"delete the newest", remove, true},
		} {
			t.Run(driver+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, driver)
				s := e.setup("acme")
				ok := e.must(http.StatusOK, "GET", s.ws.path("/audit/verify"), s.ws.key, nil).obj(t)
				if ok["ok"] != true || ok["broken"] != nil {
					t.Fatalf("verify before tampering = %v", ok)
				}
				seq := int64(3)
				if tc.newest {
					last, err := e.st.LastAudit(t.Context(), s.ws.id)
					if err != nil {
						t.Fatal(err)
					}
					seq = last.Seq
				}
				tamper(t, e.st, tc.stmt, s.ws.id, seq)
				if n, brk, err := audit.VerifyStore(t.Context(), e.st, s.ws.id); err != nil || brk == nil || brk.Seq != seq {
					t.Fatalf("VerifyStore = %d, %v, %v", n, brk, err)
				}
				got := e.must(http.StatusOK, "GET", s.ws.path("/audit/verify"), s.ws.key, nil).obj(t)
				broken, _ := got["broken"].(map[string]any)
				if got["ok"] != false || broken == nil || broken["seq"].(float64) != float64(seq) || broken["reason"] == "" {
					t.Fatalf("verify after tampering = %v", got)
				}
			})
		}
	}
}

// tamper runs stmt (with the workspace id and a seq) on the audit records
// the way an attacker with database access would: drop the triggers that
// refuse it, then change the table.
func tamper(t *testing.T, st store.Store, stmt, ws string, seq int64) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	var stmts []string
	type beginner interface {
		Exec(ctx context.Context, query string, args ...any) (int64, error)
		Commit(ctx context.Context) error
		Rollback(ctx context.Context) error
	}
	var tx beginner
	var err error
	switch s := st.(type) {
	case *sqlite.Store:
		tx, err = s.DB().Begin(ctx)
		stmts = []string{`DROP TRIGGER audit_records_no_update`, `DROP TRIGGER audit_records_no_delete`}
	case *postgres.Store:
		tx, err = s.DB().Begin(ctx)
		stmts = []string{`DROP TRIGGER audit_records_append_only ON audit_records`}
	default:
		t.Fatalf("unknown store %T", st)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	n, err := tx.Exec(ctx, stmt, ws, seq)
	if err != nil || n != 1 {
		t.Fatalf("tamper: %d rows, %v", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
