package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/store"
)

// states returns the state of every version, oldest first, and fails if more
// than one is active.
func states(t *testing.T, s store.Store, ws, ext string) []store.VersionState {
	t.Helper()
	vs, err := s.ListVersions(ctx(t), ws, ext)
	must(t, err)
	var out []store.VersionState
	active := 0
	for _, v := range vs {
		out = append(out, v.State)
		if v.State == store.StateActive {
			active++
		}
	}
	if active > 1 {
		t.Fatalf("%d active versions: %v", active, out)
	}
	checkCurrentState(t, s, ws, ext, vs)
	return out
}

// checkCurrentState fails unless the extension's CurrentState, as read
// alone and as listed, is the state of its current version ("" before any
// version was active).
func checkCurrentState(t *testing.T, s store.Store, ws, ext string, vs []store.ExtensionVersion) {
	t.Helper()
	e, err := s.GetExtension(ctx(t), ws, ext)
	must(t, err)
	var want store.VersionState
	for _, v := range vs {
		if v.Version == e.CurrentVersion {
			want = v.State
		}
	}
	if e.CurrentState != want {
		t.Fatalf("extension current state = %q, but version %d is %q", e.CurrentState, e.CurrentVersion, want)
	}
	list, err := s.ListExtensions(ctx(t), ws, e.SubjectID)
	must(t, err)
	for _, l := range list {
		if l.ID == e.ID && (l.CurrentState != want || l.CurrentVersion != e.CurrentVersion) {
			t.Fatalf("listed current = %d %q, want %d %q", l.CurrentVersion, l.CurrentState, e.CurrentVersion, want)
		}
	}
}

func wantStates(t *testing.T, s store.Store, ws, ext string, want ...store.VersionState) {
	t.Helper()
	got := states(t, s, ws, ext)
	if len(got) != len(want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("states = %v, want %v", got, want)
		}
	}
}

const (
	P  = store.StatePending
	A  = store.StateActive
	R  = store.StateRejected
	D  = store.StateDisabled
	SU = store.StateSuperseded
)

func testExtensionLifecycle(t *testing.T, s store.Store) {
	c := ctx(t)
	w := newWorkspace(t, s, "a")
	newSubject(t, s, w.ID, "cust-1")
	ns := store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "weekly-invoices"}
	by := func(m int) store.Decision { return store.Decision{Actor: "reviewer", At: at(m)} }

	in := pushInput(ns, 1)
	v1, err := s.PushVersion(c, in)
	must(t, err)
	if v1.Version != 1 || v1.State != P || v1.ModuleSize != int64(len(in.Module)) || v1.ID == "" {
		t.Fatalf("pushed = %+v", v1)
	}
	ext, err := s.GetExtensionByName(c, ns)
	must(t, err)
	if ext.ID != v1.ExtensionID || ext.LatestVersion != 1 || ext.CurrentVersion != 0 || ext.CurrentState != "" || ext.Active() {
		t.Fatalf("extension after push = %+v", ext)
	}
	if ext.Namespace() != ns {
		t.Fatalf("namespace = %v", ext.Namespace())
	}
	got, err := s.GetVersion(c, w.ID, ext.ID, 1)
	must(t, err)
	if !bytes.Equal(got.Manifest, in.Manifest) || !bytes.Equal(got.BuildRecord, in.BuildRecord) ||
		got.ModuleDigest != in.ModuleDigest || got.CreatedBy != "agent" || !got.CreatedAt.Equal(in.CreatedAt) {
		t.Fatalf("GetVersion = %+v", got)
	}
	mod, err := s.GetModule(c, w.ID, ext.ID, 1)
	must(t, err)
	if !bytes.Equal(mod, in.Module) {
		t.Fatal("module bytes differ")
	}
	_, err = s.ActiveVersion(c, w.ID, ext.ID)
	wantErr(t, err, store.ErrNotFound) // nothing runs before approval

	v, err := s.ApproveVersion(c, w.ID, ext.ID, 1, by(2))
	must(t, err)
	if v.State != A || v.ApprovedBy != "reviewer" || !v.ApprovedAt.Equal(at(2)) {
		t.Fatalf("approved = %+v", v)
	}
	wantStates(t, s, w.ID, ext.ID, A)

	// An edit is a new version that needs approval; v1 keeps running.
	push(t, s, ns, 2)
	wantStates(t, s, w.ID, ext.ID, A, P)
	act, err := s.ActiveVersion(c, w.ID, ext.ID)
	must(t, err)
	if act.Version != 1 {
		t.Fatalf("active = %d", act.Version)
	}
	_, err = s.RejectVersion(c, w.ID, ext.ID, 2, store.Decision{Actor: "reviewer"})
	wantErr(t, err, store.ErrInvalid) // a reason is required
	v, err = s.RejectVersion(c, w.ID, ext.ID, 2, store.Decision{Actor: "reviewer", At: at(3), Reason: "posts to an undeclared host"})
	must(t, err)
	if v.State != R || v.RejectReason != "posts to an undeclared host" || v.RejectedBy != "reviewer" || v.Approved() {
		t.Fatalf("rejected = %+v", v)
	}
	wantStates(t, s, w.ID, ext.ID, A, R)

	push(t, s, ns, 3)
	_, err = s.ApproveVersion(c, w.ID, ext.ID, 3, by(4))
	must(t, err)
	wantStates(t, s, w.ID, ext.ID, SU, R, A)
	ext, err = s.GetExtension(c, w.ID, ext.ID)
	must(t, err)
	if ext.CurrentVersion != 3 || ext.LatestVersion != 3 || !ext.Active() {
		t.Fatalf("extension = %+v", ext)
	}

	v, err = s.DisableExtension(c, w.ID, ext.ID, by(5))
	must(t, err)
	if v.Version != 3 || v.State != D {
		t.Fatalf("disabled = %+v", v)
	}
	wantStates(t, s, w.ID, ext.ID, SU, R, D)
	_, err = s.ActiveVersion(c, w.ID, ext.ID)
	wantErr(t, err, store.ErrNotFound)
	v, err = s.EnableExtension(c, w.ID, ext.ID, by(6))
	must(t, err)
	if v.Version != 3 || v.State != A {
		t.Fatalf("enabled = %+v", v)
	}

	v, err = s.RollbackExtension(c, w.ID, ext.ID, 1, by(7))
	must(t, err)
	if v.Version != 1 || v.State != A {
		t.Fatalf("rolled back = %+v", v)
	}
	wantStates(t, s, w.ID, ext.ID, A, R, SU)
	ext, err = s.GetExtension(c, w.ID, ext.ID)
	must(t, err)
	if ext.CurrentVersion != 1 || ext.LatestVersion != 3 {
		t.Fatalf("extension after rollback = %+v", ext)
	}

	// Rolling back while disabled activates the earlier approved version.
	push(t, s, ns, 4)
	_, err = s.ApproveVersion(c, w.ID, ext.ID, 4, by(8))
	must(t, err)
	_, err = s.DisableExtension(c, w.ID, ext.ID, by(9))
	must(t, err)
	wantStates(t, s, w.ID, ext.ID, SU, R, SU, D)
	_, err = s.RollbackExtension(c, w.ID, ext.ID, 3, by(10))
	must(t, err)
	wantStates(t, s, w.ID, ext.ID, SU, R, A, SU)

	list, err := s.ListExtensions(c, w.ID, "")
	must(t, err)
	if len(list) != 1 || list[0].ID != ext.ID || list[0].CurrentState != A || list[0].CurrentVersion != 3 {
		t.Fatalf("ListExtensions = %+v", list)
	}

	must(t, s.DeleteExtension(c, w.ID, ext.ID))
	_, err = s.GetExtension(c, w.ID, ext.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetVersion(c, w.ID, ext.ID, 1)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteExtension(c, w.ID, ext.ID), store.ErrNotFound)
	// Pushing again starts a new extension at version 1.
	if v := push(t, s, ns, 9); v.Version != 1 || v.ExtensionID == ext.ID {
		t.Fatalf("re-push = %+v", v)
	}
}

func testExtensionStateErrors(t *testing.T, s store.Store) {
	c := ctx(t)
	w := newWorkspace(t, s, "a")
	newSubject(t, s, w.ID, "cust-1")
	newSubject(t, s, w.ID, "cust-2")
	ns := store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "x"}
	d := store.Decision{Actor: "r", At: at(1)}

	v1 := push(t, s, ns, 1)
	ext := v1.ExtensionID
	_, err := s.DisableExtension(c, w.ID, ext, d)
	wantErr(t, err, store.ErrInvalidState) // nothing active
	_, err = s.EnableExtension(c, w.ID, ext, d)
	wantErr(t, err, store.ErrInvalidState) // never approved
	_, err = s.RollbackExtension(c, w.ID, ext, 1, d)
	wantErr(t, err, store.ErrInvalidState)
	_, err = s.ApproveVersion(c, w.ID, ext, 7, d)
	wantErr(t, err, store.ErrNotFound)

	_, err = s.RejectVersion(c, w.ID, ext, 1, store.Decision{Actor: "r", Reason: "no"})
	must(t, err)
	_, err = s.ApproveVersion(c, w.ID, ext, 1, d)
	wantErr(t, err, store.ErrInvalidState) // rejected is final
	_, err = s.RejectVersion(c, w.ID, ext, 1, store.Decision{Actor: "r", Reason: "again"})
	wantErr(t, err, store.ErrInvalidState)

	push(t, s, ns, 2)
	push(t, s, ns, 3)
	push(t, s, ns, 4)
	_, err = s.ApproveVersion(c, w.ID, ext, 3, d)
	must(t, err)
	_, err = s.ApproveVersion(c, w.ID, ext, 3, d)
	wantErr(t, err, store.ErrInvalidState) // already active
	_, err = s.ApproveVersion(c, w.ID, ext, 2, d)
	wantErr(t, err, store.ErrInvalidState) // older than the current version
	_, err = s.EnableExtension(c, w.ID, ext, d)
	wantErr(t, err, store.ErrInvalidState) // already active
	_, err = s.RollbackExtension(c, w.ID, ext, 2, d)
	wantErr(t, err, store.ErrInvalidState) // pending, never approved
	_, err = s.RollbackExtension(c, w.ID, ext, 1, d)
	wantErr(t, err, store.ErrInvalidState) // rejected
	_, err = s.RollbackExtension(c, w.ID, ext, 3, d)
	wantErr(t, err, store.ErrInvalidState) // not earlier
	_, err = s.RollbackExtension(c, w.ID, ext, 4, d)
	wantErr(t, err, store.ErrInvalidState) // later and pending
	_, err = s.ApproveVersion(c, w.ID, ext, 4, d)
	must(t, err)
	_, err = s.RollbackExtension(c, w.ID, ext, 3, d)
	must(t, err)
	_, err = s.RollbackExtension(c, w.ID, ext, 4, d)
	wantErr(t, err, store.ErrInvalidState) // roll-forward is not a rollback
	wantStates(t, s, w.ID, ext, R, P, A, SU)

	// A failed transition changes nothing.
	e, err := s.GetExtension(c, w.ID, ext)
	must(t, err)
	if e.CurrentVersion != 3 || e.CurrentState != A {
		t.Fatalf("extension = %+v", e)
	}

	// Invalid input.
	_, err = s.PushVersion(c, pushInput(store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1"}, 1))
	wantErr(t, err, store.ErrInvalid)
	_, err = s.PushVersion(c, pushInput(store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "a/b"}, 1))
	wantErr(t, err, store.ErrInvalid)
	_, err = s.PushVersion(c, pushInput(store.Namespace{WorkspaceID: w.ID, SubjectID: "nobody", Extension: "x"}, 1))
	wantErr(t, err, store.ErrNotFound)

	// Same name under another subject is another namespace.
	other := push(t, s, store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-2", Extension: "x"}, 1)
	if other.ExtensionID == ext || other.Version != 1 {
		t.Fatalf("other namespace = %+v", other)
	}
	mine, err := s.ListExtensions(c, w.ID, "cust-2")
	must(t, err)
	if len(mine) != 1 || mine[0].ID != other.ExtensionID {
		t.Fatalf("ListExtensions(cust-2) = %+v", mine)
	}
}

// testConcurrentApprove: many reviewers approve the same version at once;
// exactly one wins, and at most one version is ever active.
func testConcurrentApprove(t *testing.T, s store.Store) {
	c := ctx(t)
	w := newWorkspace(t, s, "a")
	newSubject(t, s, w.ID, "cust-1")
	ns := store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "x"}
	v1 := push(t, s, ns, 1)
	push(t, s, ns, 2)
	push(t, s, ns, 3)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			version := int64(1 + i%3)
			_, errs[i] = s.ApproveVersion(c, w.ID, v1.ExtensionID, version, store.Decision{Actor: itoa(i)})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrInvalidState):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok < 1 || ok > 3 {
		t.Fatalf("%d approvals succeeded", ok)
	}
	states(t, s, w.ID, v1.ExtensionID) // at most one active
	act, err := s.ActiveVersion(c, w.ID, v1.ExtensionID)
	must(t, err)
	e, err := s.GetExtension(c, w.ID, v1.ExtensionID)
	must(t, err)
	if e.CurrentVersion != act.Version {
		t.Fatalf("current %d, active %d", e.CurrentVersion, act.Version)
	}
}

// testConcurrentPush: concurrent pushes to one namespace get distinct,
// contiguous version numbers and one extension.
func testConcurrentPush(t *testing.T, s store.Store) {
	c := ctx(t)
	w := newWorkspace(t, s, "a")
	newSubject(t, s, w.ID, "cust-1")
	ns := store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "x"}
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = s.PushVersion(c, pushInput(ns, i)) })
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	exts, err := s.ListExtensions(c, w.ID, "")
	must(t, err)
	if len(exts) != 1 || exts[0].LatestVersion != n {
		t.Fatalf("extensions = %+v", exts)
	}
	vs, err := s.ListVersions(c, w.ID, exts[0].ID)
	must(t, err)
	for i, v := range vs {
		if v.Version != int64(i+1) {
			t.Fatalf("versions not contiguous at %d: %d", i, v.Version)
		}
	}
	if len(vs) != n {
		t.Fatalf("%d versions", len(vs))
	}
}
