package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/forgehq/forge/internal/store"
)

const adminCols = `id, hash, created_at, revoked_at`

func scanAdmin(r interface{ Scan(...any) error }) (store.AdminCredential, error) {
	var c store.AdminCredential
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&c.ID, &c.Hash, &created, &revoked); err != nil {
		return store.AdminCredential{}, err
	}
	c.CreatedAt, c.RevokedAt = fromTS(created), fromNTS(revoked)
	return c, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.wrap("ping", s.q.QueryRow(ctx, `SELECT 1`).Scan(&one))
}

// CreateAdminCredential implements store.AdminStore.
func (s *Store) CreateAdminCredential(ctx context.Context, c *store.AdminCredential) error {
	if len(c.Hash) == 0 {
		return errf(store.ErrInvalid, "admin credential hash is required")
	}
	if c.ID == "" {
		c.ID = store.NewID()
	}
	c.CreatedAt = orNow(c.CreatedAt)
	c.RevokedAt = time.Time{}
	return s.write(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO admin_credentials (`+adminCols+`) VALUES (?, ?, ?, NULL)`,
			c.ID, c.Hash, ts(c.CreatedAt))
		return tx.wrap("create admin credential", err)
	})
}

// LookupAdminCredential implements store.AdminStore.
func (s *Store) LookupAdminCredential(ctx context.Context, hash []byte) (store.AdminCredential, error) {
	if len(hash) == 0 {
		return store.AdminCredential{}, errf(store.ErrNotFound, "lookup admin credential")
	}
	c, err := scanAdmin(s.q.QueryRow(ctx, `SELECT `+adminCols+` FROM admin_credentials WHERE hash = ? AND revoked_at IS NULL`, hash))
	return c, s.wrap("lookup admin credential", err)
}

// ListAdminCredentials implements store.AdminStore.
func (s *Store) ListAdminCredentials(ctx context.Context) ([]store.AdminCredential, error) {
	rows, err := s.q.Query(ctx, `SELECT `+adminCols+` FROM admin_credentials ORDER BY created_at, id`)
	if err != nil {
		return nil, s.wrap("list admin credentials", err)
	}
	defer rows.Close()
	var out []store.AdminCredential
	for rows.Next() {
		c, err := scanAdmin(rows)
		if err != nil {
			return nil, s.wrap("list admin credentials", err)
		}
		out = append(out, c)
	}
	return out, s.wrap("list admin credentials", rows.Err())
}

// RevokeAdminCredentials implements store.AdminStore.
func (s *Store) RevokeAdminCredentials(ctx context.Context, at time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *Store) error {
		var err error
		n, err = tx.q.Exec(ctx, `UPDATE admin_credentials SET revoked_at = ? WHERE revoked_at IS NULL`, ts(orNow(at)))
		return tx.wrap("revoke admin credentials", err)
	})
	return n, err
}
