package server

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/postgres"
	"github.com/forgehq/forge/internal/store/sqlite"
)

// racingStore makes every transaction's ListAdminCredentials wait until
// all n callers have listed, so that concurrent bootstraps all see "no
// admin credential" before any inserts one: the race of several servers
// starting at once on one PostgreSQL database.
type racingStore struct {
	store.Store
	listed *sync.WaitGroup
}

func (s racingStore) Transaction(ctx context.Context, fn func(tx store.Store) error) error {
	return s.Store.Transaction(ctx, func(tx store.Store) error { return fn(racingStore{tx, s.listed}) })
}

func (s racingStore) ListAdminCredentials(ctx context.Context) ([]store.AdminCredential, error) {
	cs, err := s.Store.ListAdminCredentials(ctx)
	s.listed.Done()
	s.listed.Wait()
	return cs, err
}

// TestBootstrapAdminConcurrent: of several servers bootstrapping one
// database at once, exactly one mints an admin credential; the others get
// ErrAdminExists.
func TestBootstrapAdminConcurrent(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			const n = 4
			ctx := context.WithoutCancel(t.Context())
			stores := make([]store.Store, n)
			dsn, path := "", filepath.Join(t.TempDir(), "forge.db")
			if driver == "postgres" {
				dsn = pgSchema(t)
			}
			for i := range stores {
				var err error
				if driver == "postgres" {
					stores[i], err = postgres.Open(ctx, dsn)
				} else {
					stores[i], err = sqlite.Open(ctx, path)
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stores[i].Close() })
			}
			// SQLite serializes write transactions (BEGIN IMMEDIATE), so
			// the bootstraps cannot all list first there; they only run
			// at once.
			var listed sync.WaitGroup
			listed.Add(n)
			creds, errs := make([]string, n), make([]error, n)
			var wg sync.WaitGroup
			for i, st := range stores {
				if driver == "postgres" {
					st = racingStore{st, &listed}
				}
				wg.Go(func() { creds[i], errs[i] = BootstrapAdmin(ctx, st, false, time.Now()) })
			}
			wg.Wait()
			minted := 0
			for i, err := range errs {
				switch {
				case err == nil && creds[i] != "":
					minted++
				case errors.Is(err, ErrAdminExists):
				default:
					t.Errorf("bootstrap %d: %v", i, err)
				}
			}
			if minted != 1 {
				t.Fatalf("%d servers minted an admin credential, want 1", minted)
			}
			cs, err := stores[0].ListAdminCredentials(ctx)
			if err != nil {
				t.Fatal(err)
			}
			valid := 0
			for _, c := range cs {
				if !c.Revoked() {
					valid++
				}
			}
			if valid != 1 {
				t.Fatalf("%d valid admin credentials, want 1", valid)
			}
		})
	}
}
