package storetest

import (
	"testing"

	"github.com/forgehq/forge/internal/store"
)

func testAdmin(t *testing.T, s store.Store) {
	must(t, s.Ping(ctx(t)))
	if cs, err := s.ListAdminCredentials(ctx(t)); err != nil || len(cs) != 0 {
		t.Fatalf("fresh store lists %d admin credentials, %v", len(cs), err)
	}
	_, err := s.LookupAdminCredential(ctx(t), nil)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.CreateAdminCredential(ctx(t), &store.AdminCredential{}), store.ErrInvalid)

	c := store.AdminCredential{Hash: []byte("hash-1"), CreatedAt: T0}
	must(t, s.CreateAdminCredential(ctx(t), &c))
	if c.ID == "" {
		t.Fatal("id not filled")
	}
	wantErr(t, s.CreateAdminCredential(ctx(t), &store.AdminCredential{Hash: []byte("hash-1")}), store.ErrConflict)
	// One valid admin credential at a time: a second is a conflict.
	wantErr(t, s.CreateAdminCredential(ctx(t), &store.AdminCredential{Hash: []byte("hash-other")}), store.ErrConflict)
	got, err := s.LookupAdminCredential(ctx(t), []byte("hash-1"))
	must(t, err)
	if got.ID != c.ID || !got.CreatedAt.Equal(T0) || got.Revoked() {
		t.Fatalf("lookup = %+v", got)
	}
	_, err = s.LookupAdminCredential(ctx(t), []byte("hash-2"))
	wantErr(t, err, store.ErrNotFound)

	n, err := s.RevokeAdminCredentials(ctx(t), at(1))
	must(t, err)
	if n != 1 {
		t.Fatalf("revoked %d, want 1", n)
	}
	_, err = s.LookupAdminCredential(ctx(t), []byte("hash-1"))
	wantErr(t, err, store.ErrNotFound)
	if n, err := s.RevokeAdminCredentials(ctx(t), at(2)); err != nil || n != 0 {
		t.Fatalf("second revoke = %d, %v", n, err)
	}
	c2 := store.AdminCredential{Hash: []byte("hash-2")}
	must(t, s.CreateAdminCredential(ctx(t), &c2))
	cs, err := s.ListAdminCredentials(ctx(t))
	must(t, err)
	if len(cs) != 2 || !cs[0].Revoked() || !cs[0].RevokedAt.Equal(at(1)) || cs[1].Revoked() {
		t.Fatalf("list = %+v", cs)
	}
}
