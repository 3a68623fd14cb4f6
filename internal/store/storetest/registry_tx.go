package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/forgehq/forge/internal/store"
)

func testRegistry(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	_, err := s.CurrentRegistry(c, a.ID)
	wantErr(t, err, store.ErrNotFound)
	doc1 := []byte(`{"capabilities":[{"id":"billing.list_invoices"}]}`)
	r1, err := s.PushRegistry(c, store.Registry{WorkspaceID: a.ID, Digest: "sha256:1", Document: doc1, PushedBy: "ci", CreatedAt: T0})
	must(t, err)
	if r1.Version != 1 {
		t.Fatalf("first version = %d", r1.Version)
	}
	same, err := s.PushRegistry(c, store.Registry{WorkspaceID: a.ID, Digest: "sha256:1", Document: doc1, PushedBy: "ci", CreatedAt: at(1)})
	must(t, err)
	if same.Version != 1 || !same.CreatedAt.Equal(T0) {
		t.Fatalf("re-push of the same digest = %+v", same)
	}
	doc2 := []byte(`{"capabilities": [ ]}`)
	r2, err := s.PushRegistry(c, store.Registry{WorkspaceID: a.ID, Digest: "sha256:2", Document: doc2, PushedBy: "dev", CreatedAt: at(2)})
	must(t, err)
	if r2.Version != 2 {
		t.Fatalf("second version = %d", r2.Version)
	}
	cur, err := s.CurrentRegistry(c, a.ID)
	must(t, err)
	if cur.Version != 2 || !bytes.Equal(cur.Document, doc2) || cur.Digest != "sha256:2" || cur.PushedBy != "dev" {
		t.Fatalf("CurrentRegistry = %+v", cur)
	}
	old, err := s.GetRegistry(c, a.ID, 1)
	must(t, err)
	if !bytes.Equal(old.Document, doc1) {
		t.Fatal("version 1 document differs (must be stored verbatim)")
	}
	list, err := s.ListRegistryVersions(c, a.ID)
	must(t, err)
	if len(list) != 2 || list[0].Version != 1 || list[1].Version != 2 || list[0].Document != nil {
		t.Fatalf("ListRegistryVersions = %+v", list)
	}
	_, err = s.CurrentRegistry(c, b.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetRegistry(c, b.ID, 1)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.PushRegistry(c, store.Registry{WorkspaceID: "nope", Digest: "d", Document: doc1})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.PushRegistry(c, store.Registry{WorkspaceID: a.ID, Digest: "d"})
	wantErr(t, err, store.ErrInvalid)
}

func testDataKeys(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	_, err := s.CurrentDataKey(c, a.ID)
	wantErr(t, err, store.ErrNotFound)
	k1 := store.DataKey{WorkspaceID: a.ID, Wrapped: []byte("wrapped-1"), MasterKeyID: "mk-1", CreatedAt: T0}
	must(t, s.CreateDataKey(c, &k1))
	k2 := store.DataKey{WorkspaceID: a.ID, ID: "dk-2", Wrapped: []byte("wrapped-2"), MasterKeyID: "mk-1", CreatedAt: T0}
	must(t, s.CreateDataKey(c, &k2))
	cur, err := s.CurrentDataKey(c, a.ID)
	must(t, err)
	if cur.ID != "dk-2" || !bytes.Equal(cur.Wrapped, []byte("wrapped-2")) {
		t.Fatalf("CurrentDataKey = %+v", cur)
	}
	list, err := s.ListDataKeys(c, a.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != k1.ID || list[1].ID != "dk-2" {
		t.Fatalf("ListDataKeys = %+v", list)
	}
	must(t, s.RewrapDataKey(c, a.ID, k1.ID, []byte("rewrapped-1"), "mk-2"))
	got, err := s.GetDataKey(c, a.ID, k1.ID)
	must(t, err)
	if !bytes.Equal(got.Wrapped, []byte("rewrapped-1")) || got.MasterKeyID != "mk-2" {
		t.Fatalf("after rewrap = %+v", got)
	}
	ids, err := s.MasterKeyIDs(c)
	must(t, err)
	if len(ids) != 2 || ids["mk-1"] != 1 || ids["mk-2"] != 1 {
		t.Fatalf("MasterKeyIDs during a rotation = %v", ids)
	}
	// While data keys are wrapped by another master key, no new data key
	// is created under either.
	for _, mk := range []string{"mk-1", "mk-2"} {
		wantErr(t, s.CreateDataKey(c, &store.DataKey{WorkspaceID: b.ID, Wrapped: []byte("w"), MasterKeyID: mk}), store.ErrConflict)
	}
	must(t, s.RewrapDataKey(c, a.ID, "dk-2", []byte("rewrapped-2"), "mk-2"))
	must(t, s.CreateDataKey(c, &store.DataKey{WorkspaceID: b.ID, Wrapped: []byte("w"), MasterKeyID: "mk-2"}))
	wantErr(t, s.CreateDataKey(c, &store.DataKey{WorkspaceID: b.ID, Wrapped: []byte("w"), MasterKeyID: "mk-1"}), store.ErrConflict)
	ids, err = s.MasterKeyIDs(c)
	must(t, err)
	if len(ids) != 1 || ids["mk-2"] != 3 {
		t.Fatalf("MasterKeyIDs after the rotation = %v", ids)
	}
	_, err = s.GetDataKey(c, b.ID, k1.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RewrapDataKey(c, b.ID, k1.ID, []byte("x"), "mk-3"), store.ErrNotFound)
	wantErr(t, s.CreateDataKey(c, &store.DataKey{WorkspaceID: a.ID, ID: "dk-2", Wrapped: []byte("x"), MasterKeyID: "mk-2"}), store.ErrConflict)
	wantErr(t, s.CreateDataKey(c, &store.DataKey{WorkspaceID: a.ID, MasterKeyID: "m"}), store.ErrInvalid)
}

func testTransaction(t *testing.T, s store.Store) {
	c := ctx(t)
	boom := errors.New("boom")
	var id string
	err := s.Transaction(c, func(tx store.Store) error {
		w := store.Workspace{Name: "rolled back"}
		if err := tx.CreateWorkspace(c, &w); err != nil {
			return err
		}
		id = w.ID
		if _, err := tx.GetWorkspace(c, w.ID); err != nil {
			return err // visible inside
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transaction = %v", err)
	}
	_, err = s.GetWorkspace(c, id)
	wantErr(t, err, store.ErrNotFound)

	// A state change and its audit record commit together; a nested
	// Transaction joins the outer one.
	w := newWorkspace(t, s, "a")
	newSubject(t, s, w.ID, "cust-1")
	v := push(t, s, store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "x"}, 1)
	err = s.Transaction(c, func(tx store.Store) error {
		if _, err := tx.ApproveVersion(c, w.ID, v.ExtensionID, 1, store.Decision{Actor: "r"}); err != nil {
			return err
		}
		return tx.Transaction(c, func(inner store.Store) error {
			_, err := inner.AppendAudit(c, w.ID, chainLink(w.ID, "r", "ext.approve", T0))
			return err
		})
	})
	must(t, err)
	recs, err := s.ListAudit(c, w.ID, 0, 0)
	must(t, err)
	verifyChain(t, recs, 1)

	// Failing after the approval rolls the approval back too.
	v2 := push(t, s, store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "x"}, 2)
	err = s.Transaction(c, func(tx store.Store) error {
		if _, err := tx.ApproveVersion(c, w.ID, v2.ExtensionID, 2, store.Decision{Actor: "r"}); err != nil {
			return err
		}
		if _, err := tx.AppendAudit(c, w.ID, chainLink(w.ID, "r", "ext.approve", T0)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transaction = %v", err)
	}
	wantStates(t, s, w.ID, v2.ExtensionID, A, P)
	recs, err = s.ListAudit(c, w.ID, 0, 0)
	must(t, err)
	verifyChain(t, recs, 1)
	must(t, s.Transaction(c, func(tx store.Store) error { return tx.Close() })) // no-op inside
}

// testIsolation builds a full workspace a and probes every read and write
// with workspace b's id (invariant 1).
func testIsolation(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	newSubject(t, s, a.ID, "cust-1")
	ns := store.Namespace{WorkspaceID: a.ID, SubjectID: "cust-1", Extension: "x"}
	v := push(t, s, ns, 1)
	_, err := s.ApproveVersion(c, a.ID, v.ExtensionID, 1, store.Decision{Actor: "r"})
	must(t, err)
	push(t, s, ns, 2)
	key := store.APIKey{WorkspaceID: a.ID, Name: "k", Hash: []byte("kh")}
	must(t, s.CreateAPIKey(c, &key))
	tok := store.BuildToken{WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("th"), Permissions: []store.Permission{store.PermBuild}, CreatedAt: T0}
	must(t, s.CreateBuildToken(c, &tok))
	dk := store.DataKey{WorkspaceID: a.ID, Wrapped: []byte("w"), MasterKeyID: "m"}
	must(t, s.CreateDataKey(c, &dk))
	must(t, s.PutSecret(c, ns, store.Secret{Name: "S", KeyID: dk.ID, Nonce: []byte("n"), Ciphertext: []byte("c")}))
	must(t, s.PutConfig(c, ns, store.ConfigEntry{Key: "k", Value: "v"}))

	B := b.ID
	ext := v.ExtensionID
	nsB := store.Namespace{WorkspaceID: B, SubjectID: "cust-1", Extension: "x"}
	d := store.Decision{Actor: "mallory", Reason: "r"}
	probes := map[string]error{}
	probe := func(name string, err error) { probes[name] = err }
	_, err = s.GetAPIKey(c, B, key.ID)
	probe("GetAPIKey", err)
	probe("RevokeAPIKey", s.RevokeAPIKey(c, B, key.ID, T0))
	_, err = s.GetBuildToken(c, B, tok.ID)
	probe("GetBuildToken", err)
	probe("RevokeBuildToken", s.RevokeBuildToken(c, B, tok.ID, T0))
	_, err = s.GetSubject(c, B, "cust-1")
	probe("GetSubject", err)
	probe("DeleteSubject", s.DeleteSubject(c, B, "cust-1"))
	_, err = s.GetExtension(c, B, ext)
	probe("GetExtension", err)
	_, err = s.GetExtensionByName(c, nsB)
	probe("GetExtensionByName", err)
	_, err = s.GetVersion(c, B, ext, 1)
	probe("GetVersion", err)
	_, err = s.GetModule(c, B, ext, 1)
	probe("GetModule", err)
	_, err = s.ActiveVersion(c, B, ext)
	probe("ActiveVersion", err)
	_, err = s.ApproveVersion(c, B, ext, 2, d)
	probe("ApproveVersion", err)
	_, err = s.RejectVersion(c, B, ext, 2, d)
	probe("RejectVersion", err)
	_, err = s.DisableExtension(c, B, ext, d)
	probe("DisableExtension", err)
	_, err = s.EnableExtension(c, B, ext, d)
	probe("EnableExtension", err)
	_, err = s.RollbackExtension(c, B, ext, 1, d)
	probe("RollbackExtension", err)
	probe("DeleteExtension", s.DeleteExtension(c, B, ext))
	_, err = s.PushVersion(c, pushInput(nsB, 3))
	probe("PushVersion", err)
	_, err = s.GetSecret(c, nsB, "S")
	probe("GetSecret", err)
	probe("PutSecret", s.PutSecret(c, nsB, store.Secret{Name: "S", KeyID: "k", Nonce: []byte("n"), Ciphertext: []byte("c")}))
	probe("DeleteSecret", s.DeleteSecret(c, nsB, "S"))
	_, err = s.GetConfig(c, nsB, "k")
	probe("GetConfig", err)
	probe("PutConfig", s.PutConfig(c, nsB, store.ConfigEntry{Key: "k", Value: "v2"}))
	probe("DeleteConfig", s.DeleteConfig(c, nsB, "k"))
	_, err = s.GetDataKey(c, B, dk.ID)
	probe("GetDataKey", err)
	probe("RewrapDataKey", s.RewrapDataKey(c, B, dk.ID, []byte("x"), "m2"))
	for name, err := range probes {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s with workspace b's id: error = %v, want ErrNotFound", name, err)
		}
	}
	if list, err := s.ListVersions(c, B, ext); err != nil || len(list) != 0 {
		t.Errorf("ListVersions with b = %v, %v", list, err)
	}
	if list, err := s.ListExtensions(c, B, ""); err != nil || len(list) != 0 {
		t.Errorf("ListExtensions with b = %v, %v", list, err)
	}
	if list, err := s.ListSubjects(c, B); err != nil || len(list) != 0 {
		t.Errorf("ListSubjects with b = %v, %v", list, err)
	}
	if list, err := s.ListDataKeys(c, B); err != nil || len(list) != 0 {
		t.Errorf("ListDataKeys with b = %v, %v", list, err)
	}

	// Nothing of a changed.
	wantStates(t, s, a.ID, ext, A, P)
	if got, err := s.GetConfig(c, ns, "k"); err != nil || got.Value != "v" {
		t.Errorf("a's config = %+v, %v", got, err)
	}
	if _, err := s.LookupAPIKey(c, []byte("kh")); err != nil {
		t.Errorf("a's key: %v", err)
	}
	if _, err := s.LookupBuildToken(c, []byte("th"), T0); err != nil {
		t.Errorf("a's token: %v", err)
	}
}

// testCascade: deleting a subject or workspace removes what it owns; audit
// records stay.
func testCascade(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	newSubject(t, s, a.ID, "cust-1")
	ns := store.Namespace{WorkspaceID: a.ID, SubjectID: "cust-1", Extension: "x"}
	v := push(t, s, ns, 1)
	must(t, s.PutSecret(c, ns, store.Secret{Name: "S", KeyID: "k", Nonce: []byte("n"), Ciphertext: []byte("c")}))
	tok := store.BuildToken{WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("th"), Permissions: []store.Permission{store.PermRead}, CreatedAt: T0}
	must(t, s.CreateBuildToken(c, &tok))
	_, err := s.AppendAudit(c, a.ID, chainLink(a.ID, "x", "subject.create", T0))
	must(t, err)

	must(t, s.DeleteSubject(c, a.ID, "cust-1"))
	_, err = s.GetExtension(c, a.ID, v.ExtensionID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.LookupBuildToken(c, []byte("th"), T0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetSecret(c, ns, "S")
	wantErr(t, err, store.ErrNotFound)

	must(t, s.DeleteWorkspace(c, a.ID))
	recs, err := s.ListAudit(c, a.ID, 0, 0)
	must(t, err)
	verifyChain(t, recs, 1)
}
