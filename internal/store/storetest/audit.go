package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/store"
)

func testAudit(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	_, err := s.LastAudit(c, a.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AuditHead(c, a.ID)
	wantErr(t, err, store.ErrNotFound)

	var first store.AuditRecord
	_, err = s.AppendAudit(c, a.ID, func(prev store.AuditRecord) (store.AuditRecord, error) {
		first = prev
		return chainLink(a.ID, "alice", "workspace.create", T0)(prev)
	})
	must(t, err)
	if first.Seq != 0 || len(first.Hash) != 0 || first.WorkspaceID != a.ID {
		t.Fatalf("prev of the first record = %+v", first)
	}
	for i := 2; i <= 5; i++ {
		r, err := s.AppendAudit(c, a.ID, chainLink(a.ID, "alice", "ext.approve", at(i)))
		must(t, err)
		if r.Seq != int64(i) {
			t.Fatalf("seq = %d, want %d", r.Seq, i)
		}
	}
	// b's chain is its own.
	rb, err := s.AppendAudit(c, b.ID, chainLink(b.ID, "bob", "key.create", T0))
	must(t, err)
	if rb.Seq != 1 || len(rb.PrevHash) != 0 {
		t.Fatalf("b's first record = %+v", rb)
	}

	all, err := s.ListAudit(c, a.ID, 0, 0)
	must(t, err)
	verifyChain(t, all, 5)
	if all[1].Actor != "alice" || all[1].Action != "ext.approve" || all[1].Target != "target" ||
		!bytes.Equal(all[1].Details, []byte(`{"k":"v"}`)) || !all[1].Time.Equal(at(2)) || all[1].WorkspaceID != a.ID {
		t.Fatalf("record as read back = %+v", all[1])
	}
	page, err := s.ListAudit(c, a.ID, 2, 2)
	must(t, err)
	if len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("page = %+v", page)
	}
	last, err := s.LastAudit(c, a.ID)
	must(t, err)
	if last.Seq != 5 || !bytes.Equal(last.Hash, all[4].Hash) {
		t.Fatalf("LastAudit = %+v", last)
	}
	head, err := s.AuditHead(c, a.ID)
	must(t, err)
	if head.Seq != 5 || !bytes.Equal(head.Hash, all[4].Hash) {
		t.Fatalf("AuditHead = %+v, want the last record's seq and hash", head)
	}
	onlyB, err := s.ListAudit(c, b.ID, 0, 0)
	must(t, err)
	verifyChain(t, onlyB, 1)

	// The store refuses records that do not link, and appends nothing.
	bad := []func(prev store.AuditRecord) store.AuditRecord{
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.Seq = p.Seq + 2; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.Seq = p.Seq; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.PrevHash = []byte("forged"); return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.PrevHash = nil; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.Hash = nil; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.WorkspaceID = b.ID; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.Action = ""; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.Time = time.Time{}; return r },
		func(p store.AuditRecord) store.AuditRecord { r := mk(p); r.Time = T0.Add(time.Nanosecond); return r },
	}
	for i, f := range bad {
		_, err := s.AppendAudit(c, a.ID, func(p store.AuditRecord) (store.AuditRecord, error) { return f(p), nil })
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad record %d: error = %v, want ErrInvalid", i, err)
		}
	}
	boom := errors.New("boom")
	_, err = s.AppendAudit(c, a.ID, func(store.AuditRecord) (store.AuditRecord, error) { return store.AuditRecord{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("callback error = %v", err)
	}
	all, err = s.ListAudit(c, a.ID, 0, 0)
	must(t, err)
	verifyChain(t, all, 5)
	if head, err := s.AuditHead(c, a.ID); err != nil || head.Seq != 5 {
		t.Fatalf("AuditHead after refused appends = %+v, %v", head, err)
	}
}

func mk(prev store.AuditRecord) store.AuditRecord {
	r, _ := chainLink(prev.WorkspaceID, "eve", "x", T0)(prev)
	return r
}

// testAuditConcurrent: N goroutines append to one chain (and M to another):
// contiguous seqs, no duplicates, every link as the callbacks computed it.
func testAuditConcurrent(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	const n = 40
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = s.AppendAudit(c, a.ID, chainLink(a.ID, "g"+itoa(i), "act", at(i))) })
		wg.Go(func() { _, errs[n+i] = s.AppendAudit(c, b.ID, chainLink(b.ID, "g"+itoa(i), "act", at(i))) })
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	for _, ws := range []string{a.ID, b.ID} {
		all, err := s.ListAudit(c, ws, 0, 0)
		must(t, err)
		verifyChain(t, all, n)
		seen := map[string]bool{}
		for _, r := range all {
			if seen[r.Actor] {
				t.Fatalf("actor %s appended twice", r.Actor)
			}
			seen[r.Actor] = true
		}
	}
}

// testAuditProcesses: several stores on one database (several server
// processes) append to one chain at once without forking it.
func testAuditProcesses(t *testing.T, open SharedFactory) {
	const procs, per = 4, 15
	stores := open(t, procs)
	c := ctx(t)
	w := newWorkspace(t, stores[0], "a")
	errs := make([]error, procs*per)
	var wg sync.WaitGroup
	for p, s := range stores {
		for i := range per {
			wg.Go(func() {
				k := p*per + i
				_, errs[k] = s.AppendAudit(c, w.ID, chainLink(w.ID, "p"+itoa(k), "act", at(k)))
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	for _, s := range stores {
		all, err := s.ListAudit(c, w.ID, 0, 0)
		must(t, err)
		verifyChain(t, all, procs*per)
	}
}

// testApproveProcesses: reviewers on several processes approve and roll
// back at once; at most one version is ever active.
func testApproveProcesses(t *testing.T, open SharedFactory) {
	const procs = 4
	stores := open(t, procs)
	c := ctx(t)
	s0 := stores[0]
	w := newWorkspace(t, s0, "a")
	newSubject(t, s0, w.ID, "cust-1")
	ns := store.Namespace{WorkspaceID: w.ID, SubjectID: "cust-1", Extension: "x"}
	var ext string
	for i := 1; i <= procs; i++ {
		ext = push(t, s0, ns, i).ExtensionID
	}
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for p, s := range stores {
		wg.Go(func() {
			_, errs[p] = s.ApproveVersion(c, w.ID, ext, int64(p+1), store.Decision{Actor: itoa(p)})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, store.ErrInvalidState) {
			t.Fatal(err)
		}
	}
	states(t, s0, w.ID, ext)
	if _, err := s0.ActiveVersion(c, w.ID, ext); err != nil {
		t.Fatal(err)
	}
}
