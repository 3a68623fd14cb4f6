package server

import (
	"context"
	"errors"
	"time"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
)

// ErrAdminExists is returned by BootstrapAdmin when a valid admin
// credential exists and reset was not asked for.
var ErrAdminExists = errors.New("an admin credential exists already (use --reset-admin to replace it)")

// BootstrapAdmin creates the operator's admin credential (adm_…) and returns
// it; only its hash is stored, so it is shown once. If a valid one exists it
// returns ErrAdminExists, unless reset, which revokes every existing admin
// credential first (effective on their next request). The store admits one
// valid admin credential only, so of several servers bootstrapping one
// database at once, one succeeds and the others get ErrAdminExists.
func BootstrapAdmin(ctx context.Context, st store.Store, reset bool, now time.Time) (string, error) {
	plain, hash, err := auth.New(auth.KindAdmin)
	if err != nil {
		return "", err
	}
	err = st.Transaction(ctx, func(tx store.Store) error {
		creds, err := tx.ListAdminCredentials(ctx)
		if err != nil {
			return err
		}
		valid := 0
		for _, c := range creds {
			if !c.Revoked() {
				valid++
			}
		}
		if valid > 0 {
			if !reset {
				return ErrAdminExists
			}
			if _, err := tx.RevokeAdminCredentials(ctx, now); err != nil {
				return err
			}
		}
		return tx.CreateAdminCredential(ctx, &store.AdminCredential{Hash: hash, CreatedAt: now})
	})
	if errors.Is(err, store.ErrConflict) {
		// The store keeps one valid admin credential: another server
		// created one between the check above and the insert.
		if reset {
			return "", errors.New("another server replaced the admin credential at the same time; try again")
		}
		return "", ErrAdminExists
	}
	if err != nil {
		return "", err
	}
	return plain, nil
}
