package storetest

import (
	"fmt"
	"testing"

	"github.com/forgehq/forge/internal/store"
)

// BenchListExtensions measures listing the extensions of a workspace with
// 50 extensions (10 subjects x 5), each with two versions, the first active.
func BenchListExtensions(b *testing.B, s store.Store) {
	c := b.Context()
	w := store.Workspace{Name: "bench"}
	must(b, s.CreateWorkspace(c, &w))
	other := store.Workspace{Name: "noise"}
	must(b, s.CreateWorkspace(c, &other))
	for _, ws := range []string{w.ID, other.ID} {
		for i := range 10 {
			sub := store.Subject{WorkspaceID: ws, ID: fmt.Sprintf("cust-%02d", i)}
			must(b, s.CreateSubject(c, &sub))
			for j := range 5 {
				ns := store.Namespace{WorkspaceID: ws, SubjectID: sub.ID, Extension: fmt.Sprintf("ext-%d", j)}
				v, err := s.PushVersion(c, pushInput(ns, 1))
				must(b, err)
				_, err = s.ApproveVersion(c, ws, v.ExtensionID, 1, store.Decision{Actor: "r"})
				must(b, err)
				_, err = s.PushVersion(c, pushInput(ns, 2))
				must(b, err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			list, err := s.ListExtensions(c, w.ID, "")
			if err != nil || len(list) != 50 {
				b.Errorf("ListExtensions = %d, %v", len(list), err)
				return
			}
		}
	})
}

// BenchLookupAPIKey measures authenticating by key hash among 1000 keys.
func BenchLookupAPIKey(b *testing.B, s store.Store) {
	c := b.Context()
	w := store.Workspace{Name: "bench"}
	must(b, s.CreateWorkspace(c, &w))
	const n = 1000
	hashes := make([][]byte, n)
	err := s.Transaction(c, func(tx store.Store) error {
		for i := range n {
			hashes[i] = []byte(fmt.Sprintf("%032x", i*7919))
			k := store.APIKey{WorkspaceID: w.ID, Name: fmt.Sprint(i), Prefix: "cwa_", Hash: hashes[i]}
			if err := tx.CreateAPIKey(c, &k); err != nil {
				return err
			}
		}
		return nil
	})
	must(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.LookupAPIKey(c, hashes[i%n]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
