package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/store"
)

var timeZero time.Time

func testSubjects(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	s1 := newSubject(t, s, a.ID, "cust-1")
	newSubject(t, s, a.ID, "cust-2")
	newSubject(t, s, b.ID, "cust-1") // same host id in another workspace is another subject
	wantErr(t, s.CreateSubject(c, &store.Subject{WorkspaceID: a.ID, ID: "cust-1"}), store.ErrConflict)
	wantErr(t, s.CreateSubject(c, &store.Subject{WorkspaceID: a.ID, ID: ""}), store.ErrInvalid)
	wantErr(t, s.CreateSubject(c, &store.Subject{WorkspaceID: a.ID, ID: "a/b"}), store.ErrInvalid)
	wantErr(t, s.CreateSubject(c, &store.Subject{WorkspaceID: "nope", ID: "x"}), store.ErrNotFound)

	got, err := s.GetSubject(c, a.ID, "cust-1")
	must(t, err)
	if got != s1 {
		t.Fatalf("GetSubject = %+v, want %+v", got, s1)
	}
	list, err := s.ListSubjects(c, a.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != "cust-1" || list[1].ID != "cust-2" {
		t.Fatalf("ListSubjects = %+v", list)
	}
	_, err = s.GetSubject(c, b.ID, "cust-2")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteSubject(c, b.ID, "cust-2"), store.ErrNotFound)
	must(t, s.DeleteSubject(c, a.ID, "cust-2"))
	_, err = s.GetSubject(c, a.ID, "cust-2")
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.GetSubject(c, b.ID, "cust-1"); err != nil {
		t.Fatalf("b's subject affected: %v", err)
	}
}

func testBuildTokens(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	newSubject(t, s, a.ID, "cust-1")
	newSubject(t, s, a.ID, "cust-2")
	newSubject(t, s, b.ID, "cust-b")

	tok := store.BuildToken{
		WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("atk-hash-1"),
		Permissions: []store.Permission{store.PermRead, store.PermBuild, store.PermRead}, CreatedAt: T0,
	}
	must(t, s.CreateBuildToken(c, &tok))
	if !tok.ExpiresAt.Equal(T0.Add(store.DefaultTokenTTL)) {
		t.Fatalf("default expiry = %v", tok.ExpiresAt)
	}
	if !slices.Equal(tok.Permissions, []store.Permission{store.PermBuild, store.PermRead}) {
		t.Fatalf("permissions = %v", tok.Permissions)
	}
	long := store.BuildToken{
		WorkspaceID: a.ID, SubjectID: "cust-2", Hash: []byte("atk-hash-2"),
		Permissions: []store.Permission{store.PermManage}, CreatedAt: T0, ExpiresAt: T0.Add(store.MaxTokenTTL),
	}
	must(t, s.CreateBuildToken(c, &long))

	bad := []store.BuildToken{
		{WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("x1"), Permissions: []store.Permission{store.PermRead}, CreatedAt: T0, ExpiresAt: T0.Add(store.MaxTokenTTL + time.Second)},
		{WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("x2"), Permissions: []store.Permission{store.PermRead}, CreatedAt: T0, ExpiresAt: T0},
		{WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("x3"), Permissions: []store.Permission{"admin"}, CreatedAt: T0},
		{WorkspaceID: a.ID, SubjectID: "cust-1", Hash: []byte("x4"), CreatedAt: T0},
		{WorkspaceID: a.ID, SubjectID: "cust-1", Permissions: []store.Permission{store.PermRead}, CreatedAt: T0},
	}
	for i := range bad {
		wantErr(t, s.CreateBuildToken(c, &bad[i]), store.ErrInvalid)
	}
	// A subject of workspace b cannot get a token in workspace a, nor the reverse.
	wantErr(t, s.CreateBuildToken(c, &store.BuildToken{
		WorkspaceID: a.ID, SubjectID: "cust-b", Hash: []byte("x5"),
		Permissions: []store.Permission{store.PermRead}, CreatedAt: T0,
	}), store.ErrNotFound)
	wantErr(t, s.CreateBuildToken(c, &store.BuildToken{
		WorkspaceID: b.ID, SubjectID: "cust-1", Hash: []byte("x6"),
		Permissions: []store.Permission{store.PermRead}, CreatedAt: T0,
	}), store.ErrNotFound)
	wantErr(t, s.CreateBuildToken(c, &store.BuildToken{
		WorkspaceID: a.ID, SubjectID: "cust-2", Hash: []byte("atk-hash-1"),
		Permissions: []store.Permission{store.PermRead}, CreatedAt: T0,
	}), store.ErrConflict)

	// Expiry is evaluated at the time passed.
	got, err := s.LookupBuildToken(c, []byte("atk-hash-1"), at(59))
	must(t, err)
	if got.ID != tok.ID || got.SubjectID != "cust-1" || got.WorkspaceID != a.ID || !got.Has(store.PermBuild) || got.Has(store.PermManage) {
		t.Fatalf("LookupBuildToken = %+v", got)
	}
	if !got.Valid(at(59)) || got.Valid(at(60)) {
		t.Fatal("Valid disagrees with the store")
	}
	_, err = s.LookupBuildToken(c, []byte("atk-hash-1"), at(60))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.LookupBuildToken(c, []byte("atk-hash-1"), at(-1).Add(time.Hour*48))
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.LookupBuildToken(c, []byte("atk-hash-2"), T0.Add(store.MaxTokenTTL-time.Microsecond)); err != nil {
		t.Fatalf("24h token rejected before expiry: %v", err)
	}
	_, err = s.LookupBuildToken(c, []byte("unknown"), T0)
	wantErr(t, err, store.ErrNotFound)

	// Revocation takes effect on the next lookup.
	wantErr(t, s.RevokeBuildToken(c, b.ID, tok.ID, at(1)), store.ErrNotFound)
	must(t, s.RevokeBuildToken(c, a.ID, tok.ID, at(1)))
	_, err = s.LookupBuildToken(c, []byte("atk-hash-1"), at(2))
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RevokeBuildToken(c, a.ID, tok.ID, at(3)), store.ErrInvalidState)
	wantErr(t, s.RevokeBuildToken(c, a.ID, "nope", at(3)), store.ErrNotFound)

	rec, err := s.GetBuildToken(c, a.ID, tok.ID)
	must(t, err)
	if !rec.RevokedAt.Equal(at(1)) || !bytes.Equal(rec.Hash, []byte("atk-hash-1")) {
		t.Fatalf("GetBuildToken = %+v", rec)
	}
	_, err = s.GetBuildToken(c, b.ID, tok.ID)
	wantErr(t, err, store.ErrNotFound)

	all, err := s.ListBuildTokens(c, a.ID, "")
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("ListBuildTokens = %+v", all)
	}
	one, err := s.ListBuildTokens(c, a.ID, "cust-2")
	must(t, err)
	if len(one) != 1 || one[0].ID != long.ID {
		t.Fatalf("ListBuildTokens(cust-2) = %+v", one)
	}
	if list, _ := s.ListBuildTokens(c, b.ID, ""); len(list) != 0 {
		t.Fatalf("workspace b lists %+v", list)
	}

	n, err := s.DeleteExpiredBuildTokens(c, b.ID, T0.Add(48*time.Hour))
	must(t, err)
	if n != 0 {
		t.Fatalf("b's purge deleted %d of a's tokens", n)
	}
	n, err = s.DeleteExpiredBuildTokens(c, a.ID, at(60))
	must(t, err)
	if n != 1 {
		t.Fatalf("purge deleted %d, want 1", n)
	}
	_, err = s.GetBuildToken(c, a.ID, tok.ID)
	wantErr(t, err, store.ErrNotFound)
}
