package server

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/vault"
)

func genKey(t *testing.T) *vault.MasterKey {
	t.Helper()
	mk, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

// sealedSecret is a namespace secret stored the way the server stores it.
type sealedSecret struct {
	ns    store.Namespace
	value string
}

// TestRotateMasterKey: after a rotation every data key opens with the new
// master key only, every secret still opens (the data keys did not
// change), each changed workspace has a verifying master_key.rotate audit
// record, and the server check accepts the new key and refuses the old.
func TestRotateMasterKey(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			c := t.Context()
			oldKey, newKey := genKey(t), genKey(t)
			var secrets []sealedSecret
			for i := range 3 {
				ws := store.Workspace{Name: fmt.Sprint("ws-", i)}
				must(t, e.st.CreateWorkspace(c, &ws))
				must(t, e.st.CreateSubject(c, &store.Subject{WorkspaceID: ws.ID, ID: "cust"}))
				for j := range 2 { // two data keys each
					dk, wrapped, err := vault.NewDataKey(oldKey)
					must(t, err)
					k := store.DataKey{WorkspaceID: ws.ID, Wrapped: wrapped, MasterKeyID: oldKey.ID}
					must(t, e.st.CreateDataKey(c, &k))
					ns := store.Namespace{WorkspaceID: ws.ID, SubjectID: "cust", Extension: fmt.Sprint("ext-", j)}
					_, err = e.st.PushVersion(c, store.PushVersion{Namespace: ns, ModuleDigest: "sha256:00", CreatedBy: "agent"})
					must(t, err)
					s := sealedSecret{ns: ns, value: fmt.Sprintf("secret-%d-%d", i, j)}
					nonce, ct, err := dk.Seal([]byte(s.value), vault.AAD(ns.String(), "TOKEN"))
					must(t, err)
					must(t, e.st.PutSecret(c, ns, store.Secret{Name: "TOKEN", KeyID: k.ID, Nonce: nonce, Ciphertext: ct}))
					secrets = append(secrets, s)
				}
			}
			must(t, CheckMasterKey(c, e.st, oldKey))
			if err := CheckMasterKey(c, e.st, newKey); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Fatalf("CheckMasterKey with a key that wraps nothing = %v", err)
			}

			r, err := RotateMasterKey(c, e.st, oldKey, newKey, time.Now())
			must(t, err)
			if r.Workspaces != 3 || r.DataKeys != 6 || r.Already != 0 || r.From != oldKey.ID || r.To != newKey.ID {
				t.Fatalf("rotation = %+v", r)
			}
			must(t, CheckMasterKey(c, e.st, newKey))
			if err := CheckMasterKey(c, e.st, oldKey); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Fatalf("CheckMasterKey with the rotated-away key = %v", err)
			}
			for _, s := range secrets {
				sec, err := e.st.GetSecret(c, s.ns, "TOKEN")
				must(t, err)
				k, err := e.st.GetDataKey(c, s.ns.WorkspaceID, sec.KeyID)
				must(t, err)
				if k.MasterKeyID != newKey.ID {
					t.Fatalf("data key %s still names master key %s", k.ID, k.MasterKeyID)
				}
				if _, err := vault.UnwrapDataKey(oldKey, k.Wrapped); !errors.Is(err, vault.ErrDecrypt) {
					t.Fatalf("the old master key still opens data key %s: %v", k.ID, err)
				}
				dk, err := vault.UnwrapDataKey(newKey, k.Wrapped)
				must(t, err)
				plain, err := dk.Open(sec.Nonce, sec.Ciphertext, vault.AAD(s.ns.String(), "TOKEN"))
				must(t, err)
				if string(plain) != s.value {
					t.Fatalf("secret of %s = %q after the rotation, want %q", s.ns, plain, s.value)
				}
				last, err := e.st.LastAudit(c, s.ns.WorkspaceID)
				must(t, err)
				if last.Action != "master_key.rotate" || last.Actor != "operator" {
					t.Fatalf("last audit record = %+v", last)
				}
				if _, brk, err := audit.VerifyStore(c, e.st, s.ns.WorkspaceID); err != nil || brk != nil {
					t.Fatalf("audit chain after the rotation: %v, %v", brk, err)
				}
			}

			// Running it again (an interrupted rotation resumed) changes nothing.
			again, err := RotateMasterKey(c, e.st, oldKey, newKey, time.Now())
			must(t, err)
			if again.DataKeys != 0 || again.Already != 6 || again.Workspaces != 0 {
				t.Fatalf("second rotation = %+v", again)
			}
			// A key that wraps nothing here cannot be rotated from, and the
			// failed rotation changes nothing.
			if _, err := RotateMasterKey(c, e.st, genKey(t), genKey(t), time.Now()); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Fatalf("rotation from a stranger key = %v", err)
			}
			must(t, CheckMasterKey(c, e.st, newKey))
			if _, err := RotateMasterKey(c, e.st, newKey, newKey, time.Now()); err == nil {
				t.Fatal("rotation to the same key succeeded")
			}
		})
	}
}

// TestRotateMasterKeyAtomic: a data key that does not open with the old key
// fails the rotation, and no data key is re-wrapped.
func TestRotateMasterKeyAtomic(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := t.Context()
	oldKey, newKey := genKey(t), genKey(t)
	for i, wrappedBy := range []*vault.MasterKey{oldKey, genKey(t), oldKey} {
		ws := store.Workspace{Name: fmt.Sprint("ws-", i)}
		must(t, e.st.CreateWorkspace(c, &ws))
		_, wrapped, err := vault.NewDataKey(wrappedBy)
		must(t, err)
		// Every row names oldKey, but the second was wrapped by another key
		// (a corrupted row): it does not open.
		must(t, e.st.CreateDataKey(c, &store.DataKey{WorkspaceID: ws.ID, Wrapped: wrapped, MasterKeyID: oldKey.ID}))
	}
	if _, err := RotateMasterKey(c, e.st, oldKey, newKey, time.Now()); !errors.Is(err, vault.ErrDecrypt) {
		t.Fatalf("rotation over a corrupted data key = %v", err)
	}
	ids, err := e.st.MasterKeyIDs(c)
	must(t, err)
	if len(ids) != 1 || ids[oldKey.ID] != 3 {
		t.Fatalf("after a failed rotation, data keys by master key = %v", ids)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
