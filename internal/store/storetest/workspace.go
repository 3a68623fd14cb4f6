package storetest

import (
	"bytes"
	"testing"

	"github.com/forgehq/forge/internal/store"
)

func testWorkspaces(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "acme")
	if len(a.ID) != 32 {
		t.Fatalf("generated id %q, want 32 hex digits", a.ID)
	}
	b := store.Workspace{ID: "ws-b", Name: "beta", CreatedAt: at(1)}
	must(t, s.CreateWorkspace(c, &b))
	wantErr(t, s.CreateWorkspace(c, &store.Workspace{ID: "ws-b", Name: "dup"}), store.ErrConflict)
	wantErr(t, s.CreateWorkspace(c, &store.Workspace{Name: ""}), store.ErrInvalid)

	got, err := s.GetWorkspace(c, a.ID)
	must(t, err)
	if got != a {
		t.Fatalf("GetWorkspace = %+v, want %+v", got, a)
	}
	_, err = s.GetWorkspace(c, "nope")
	wantErr(t, err, store.ErrNotFound)

	all, err := s.ListWorkspaces(c)
	must(t, err)
	if len(all) != 2 || all[0].ID != a.ID || all[1].ID != "ws-b" {
		t.Fatalf("ListWorkspaces = %+v", all)
	}

	must(t, s.RenameWorkspace(c, a.ID, "acme inc"))
	got, err = s.GetWorkspace(c, a.ID)
	must(t, err)
	if got.Name != "acme inc" {
		t.Fatalf("name after rename = %q", got.Name)
	}
	wantErr(t, s.RenameWorkspace(c, "nope", "x"), store.ErrNotFound)

	must(t, s.DeleteWorkspace(c, "ws-b"))
	wantErr(t, s.DeleteWorkspace(c, "ws-b"), store.ErrNotFound)
	_, err = s.GetWorkspace(c, "ws-b")
	wantErr(t, err, store.ErrNotFound)
}

func testEventTypes(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	types := []store.EventType{
		{Name: "invoice.paid", Description: "an invoice was paid", Schema: []byte(`{"type":"object"}`)},
		{Name: "customer.created"},
	}
	must(t, s.SetEventTypes(c, a.ID, types))
	got, err := s.ListEventTypes(c, a.ID)
	must(t, err)
	if len(got) != 2 || got[0].Name != "customer.created" || got[1].Name != "invoice.paid" ||
		!bytes.Equal(got[1].Schema, types[0].Schema) || got[1].Description != types[0].Description {
		t.Fatalf("ListEventTypes = %+v", got)
	}
	other, err := s.ListEventTypes(c, b.ID)
	must(t, err)
	if len(other) != 0 {
		t.Fatalf("workspace b sees event types %+v", other)
	}
	must(t, s.SetEventTypes(c, a.ID, types[:1]))
	got, err = s.ListEventTypes(c, a.ID)
	must(t, err)
	if len(got) != 1 || got[0].Name != "invoice.paid" {
		t.Fatalf("after replace: %+v", got)
	}
	wantErr(t, s.SetEventTypes(c, "nope", types), store.ErrNotFound)
	wantErr(t, s.SetEventTypes(c, a.ID, []store.EventType{{Name: "x"}, {Name: "x"}}), store.ErrConflict)
	got, err = s.ListEventTypes(c, a.ID)
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("failed SetEventTypes changed the set: %+v", got)
	}
}

func testSigningSecrets(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	_, err := s.SigningSecrets(c, a.ID, T0)
	wantErr(t, err, store.ErrNotFound)

	sec := func(n byte) store.SigningSecret {
		return store.SigningSecret{KeyID: "dk1", Nonce: []byte{n, 1, 2}, Ciphertext: []byte{n, 0xff, 0x00, 0x10}, CreatedAt: at(int(n))}
	}
	v1, err := s.RotateSigningSecret(c, a.ID, sec(1), T0)
	must(t, err)
	if v1.Version != 1 || !v1.Current() {
		t.Fatalf("first secret = %+v", v1)
	}
	_, err = s.RotateSigningSecret(c, a.ID, sec(2), T0.Add(0))
	must(t, err) // previous expiring immediately is allowed
	v3, err := s.RotateSigningSecret(c, a.ID, sec(3), at(60))
	must(t, err)
	if v3.Version != 3 {
		t.Fatalf("third version = %d", v3.Version)
	}
	got, err := s.SigningSecrets(c, a.ID, at(30))
	must(t, err)
	if len(got) != 2 || got[0].Version != 3 || !got[0].Current() || got[1].Version != 2 || !got[1].ExpiresAt.Equal(at(60)) {
		t.Fatalf("SigningSecrets in overlap = %+v", got)
	}
	if !bytes.Equal(got[0].Ciphertext, sec(3).Ciphertext) || !bytes.Equal(got[0].Nonce, sec(3).Nonce) || got[0].KeyID != "dk1" {
		t.Fatalf("stored secret bytes differ: %+v", got[0])
	}
	got, err = s.SigningSecrets(c, a.ID, at(60))
	must(t, err)
	if len(got) != 1 || got[0].Version != 3 {
		t.Fatalf("SigningSecrets after overlap = %+v", got)
	}
	_, err = s.RotateSigningSecret(c, a.ID, sec(4), T0.Add(0).Add(-1)) // an expiry is required, any value is accepted
	must(t, err)
	_, err = s.RotateSigningSecret(c, a.ID, sec(5), timeZero)
	wantErr(t, err, store.ErrInvalid)
	_, err = s.RotateSigningSecret(c, a.ID, store.SigningSecret{KeyID: "dk1"}, at(1))
	wantErr(t, err, store.ErrInvalid)

	_, err = s.SigningSecrets(c, b.ID, at(30))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RotateSigningSecret(c, "nope", sec(1), at(1))
	wantErr(t, err, store.ErrNotFound)
}

func testAPIKeys(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	k := store.APIKey{WorkspaceID: a.ID, Name: "ci", Prefix: "cwa_1234", Hash: []byte("hash-of-key-1"), CreatedAt: T0}
	must(t, s.CreateAPIKey(c, &k))
	if k.ID == "" {
		t.Fatal("no id assigned")
	}
	wantErr(t, s.CreateAPIKey(c, &store.APIKey{WorkspaceID: b.ID, Name: "x", Hash: []byte("hash-of-key-1")}), store.ErrConflict)
	wantErr(t, s.CreateAPIKey(c, &store.APIKey{WorkspaceID: "nope", Name: "x", Hash: []byte("h")}), store.ErrNotFound)
	wantErr(t, s.CreateAPIKey(c, &store.APIKey{WorkspaceID: a.ID, Name: "x"}), store.ErrInvalid)
	k2 := store.APIKey{WorkspaceID: a.ID, Name: "ops", Prefix: "cwa_5678", Hash: []byte("hash-of-key-2"), CreatedAt: at(1)}
	must(t, s.CreateAPIKey(c, &k2))

	got, err := s.GetAPIKey(c, a.ID, k.ID)
	must(t, err)
	if got.Name != "ci" || got.Prefix != "cwa_1234" || !bytes.Equal(got.Hash, k.Hash) || !got.CreatedAt.Equal(T0) || got.Revoked() {
		t.Fatalf("GetAPIKey = %+v", got)
	}
	list, err := s.ListAPIKeys(c, a.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != k.ID || list[1].ID != k2.ID {
		t.Fatalf("ListAPIKeys = %+v", list)
	}
	found, err := s.LookupAPIKey(c, []byte("hash-of-key-1"))
	must(t, err)
	if found.ID != k.ID || found.WorkspaceID != a.ID {
		t.Fatalf("LookupAPIKey = %+v", found)
	}
	_, err = s.LookupAPIKey(c, []byte("unknown"))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.LookupAPIKey(c, nil)
	wantErr(t, err, store.ErrNotFound)

	// Workspace b cannot see or revoke a's key.
	_, err = s.GetAPIKey(c, b.ID, k.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RevokeAPIKey(c, b.ID, k.ID, at(2)), store.ErrNotFound)
	if list, _ := s.ListAPIKeys(c, b.ID); len(list) != 0 {
		t.Fatalf("workspace b lists %+v", list)
	}

	must(t, s.RevokeAPIKey(c, a.ID, k.ID, at(2)))
	_, err = s.LookupAPIKey(c, []byte("hash-of-key-1"))
	wantErr(t, err, store.ErrNotFound) // the next request fails
	wantErr(t, s.RevokeAPIKey(c, a.ID, k.ID, at(3)), store.ErrInvalidState)
	got, err = s.GetAPIKey(c, a.ID, k.ID)
	must(t, err)
	if !got.RevokedAt.Equal(at(2)) {
		t.Fatalf("RevokedAt = %v", got.RevokedAt)
	}
	if _, err := s.LookupAPIKey(c, []byte("hash-of-key-2")); err != nil {
		t.Fatalf("other key affected by revocation: %v", err)
	}
}
