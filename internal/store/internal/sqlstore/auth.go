package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/forgehq/forge/internal/store"
)

const apiKeyCols = `workspace_id, id, name, prefix, hash, created_at, revoked_at`

func scanAPIKey(r interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&k.WorkspaceID, &k.ID, &k.Name, &k.Prefix, &k.Hash, &created, &revoked); err != nil {
		return store.APIKey{}, err
	}
	k.CreatedAt, k.RevokedAt = fromTS(created), fromNTS(revoked)
	return k, nil
}

// CreateAPIKey implements store.KeyStore.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	if err := required("workspace id", k.WorkspaceID); err != nil {
		return err
	}
	if len(k.Hash) == 0 {
		return errf(store.ErrInvalid, "api key hash is required")
	}
	if k.ID == "" {
		k.ID = store.NewID()
	}
	k.CreatedAt = orNow(k.CreatedAt)
	k.RevokedAt = time.Time{}
	return s.write(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
			k.WorkspaceID, k.ID, k.Name, k.Prefix, k.Hash, ts(k.CreatedAt))
		return tx.wrap("create api key", err)
	})
}

// GetAPIKey implements store.KeyStore.
func (s *Store) GetAPIKey(ctx context.Context, workspaceID, id string) (store.APIKey, error) {
	k, err := scanAPIKey(s.q.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	return k, s.wrap("get api key", err)
}

// ListAPIKeys implements store.KeyStore.
func (s *Store) ListAPIKeys(ctx context.Context, workspaceID string) ([]store.APIKey, error) {
	rows, err := s.q.Query(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, s.wrap("list api keys", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, s.wrap("list api keys", err)
		}
		out = append(out, k)
	}
	return out, s.wrap("list api keys", rows.Err())
}

// RevokeAPIKey implements store.KeyStore.
func (s *Store) RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) error {
	return s.revoke(ctx, "api_keys", "revoke api key", workspaceID, id, at)
}

func (s *Store) revoke(ctx context.Context, table, op, workspaceID, id string, at time.Time) error {
	return s.write(ctx, func(tx *Store) error {
		n, err := tx.q.Exec(ctx, `UPDATE `+table+` SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL`,
			ts(orNow(at)), workspaceID, id)
		if err != nil {
			return tx.wrap(op, err)
		}
		if n == 1 {
			return nil
		}
		var one int
		err = tx.q.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE workspace_id = ? AND id = ?`, workspaceID, id).Scan(&one)
		if err != nil {
			return tx.wrap(op, err)
		}
		return errf(store.ErrInvalidState, "%s: already revoked", op)
	})
}

// LookupAPIKey implements store.KeyStore.
func (s *Store) LookupAPIKey(ctx context.Context, hash []byte) (store.APIKey, error) {
	if len(hash) == 0 {
		return store.APIKey{}, errf(store.ErrNotFound, "lookup api key")
	}
	k, err := scanAPIKey(s.q.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash))
	return k, s.wrap("lookup api key", err)
}

// --- build tokens ---------------------------------------------------------

const tokenCols = `workspace_id, id, subject_id, permissions, hash, created_at, expires_at, revoked_at`

func scanToken(r interface{ Scan(...any) error }) (store.BuildToken, error) {
	var t store.BuildToken
	var perms string
	var created, expires int64
	var revoked sql.NullInt64
	if err := r.Scan(&t.WorkspaceID, &t.ID, &t.SubjectID, &perms, &t.Hash, &created, &expires, &revoked); err != nil {
		return store.BuildToken{}, err
	}
	for _, p := range strings.Split(perms, ",") {
		if p != "" {
			t.Permissions = append(t.Permissions, store.Permission(p))
		}
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromTS(created), fromTS(expires), fromNTS(revoked)
	return t, nil
}

// CreateBuildToken implements store.TokenStore.
func (s *Store) CreateBuildToken(ctx context.Context, t *store.BuildToken) error {
	if err := required("workspace id", t.WorkspaceID); err != nil {
		return err
	}
	if err := required("subject id", t.SubjectID); err != nil {
		return err
	}
	if len(t.Hash) == 0 {
		return errf(store.ErrInvalid, "build token hash is required")
	}
	if len(t.Permissions) == 0 {
		return errf(store.ErrInvalid, "build token needs at least one permission")
	}
	perms := slices.Clone(t.Permissions)
	for _, p := range perms {
		if !p.Valid() {
			return errf(store.ErrInvalid, "unknown permission %q", string(p))
		}
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	t.CreatedAt = orNow(t.CreatedAt)
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = t.CreatedAt.Add(store.DefaultTokenTTL)
	}
	t.ExpiresAt = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	if ttl := t.ExpiresAt.Sub(t.CreatedAt); ttl <= 0 || ttl > store.MaxTokenTTL {
		return errf(store.ErrInvalid, "build token lifetime %s is not in (0, %s]", ttl, store.MaxTokenTTL)
	}
	if t.ID == "" {
		t.ID = store.NewID()
	}
	t.Permissions = perms
	t.RevokedAt = time.Time{}
	joined := make([]string, len(perms))
	for i, p := range perms {
		joined[i] = string(p)
	}
	return s.write(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO build_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
			t.WorkspaceID, t.ID, t.SubjectID, strings.Join(joined, ","), t.Hash, ts(t.CreatedAt), ts(t.ExpiresAt))
		return tx.wrap("create build token", err)
	})
}

// GetBuildToken implements store.TokenStore.
func (s *Store) GetBuildToken(ctx context.Context, workspaceID, id string) (store.BuildToken, error) {
	t, err := scanToken(s.q.QueryRow(ctx, `SELECT `+tokenCols+` FROM build_tokens WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	return t, s.wrap("get build token", err)
}

// ListBuildTokens implements store.TokenStore.
func (s *Store) ListBuildTokens(ctx context.Context, workspaceID, subjectID string) ([]store.BuildToken, error) {
	q := `SELECT ` + tokenCols + ` FROM build_tokens WHERE workspace_id = ?`
	args := []any{workspaceID}
	if subjectID != "" {
		q += ` AND subject_id = ?`
		args = append(args, subjectID)
	}
	rows, err := s.q.Query(ctx, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, s.wrap("list build tokens", err)
	}
	defer rows.Close()
	var out []store.BuildToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.wrap("list build tokens", err)
		}
		out = append(out, t)
	}
	return out, s.wrap("list build tokens", rows.Err())
}

// RevokeBuildToken implements store.TokenStore.
func (s *Store) RevokeBuildToken(ctx context.Context, workspaceID, id string, at time.Time) error {
	return s.revoke(ctx, "build_tokens", "revoke build token", workspaceID, id, at)
}

// LookupBuildToken implements store.TokenStore.
func (s *Store) LookupBuildToken(ctx context.Context, hash []byte, at time.Time) (store.BuildToken, error) {
	if len(hash) == 0 {
		return store.BuildToken{}, errf(store.ErrNotFound, "lookup build token")
	}
	t, err := scanToken(s.q.QueryRow(ctx, `SELECT `+tokenCols+` FROM build_tokens
		WHERE hash = ? AND revoked_at IS NULL AND expires_at > ?`, hash, ts(at)))
	return t, s.wrap("lookup build token", err)
}

// DeleteExpiredBuildTokens implements store.TokenStore.
func (s *Store) DeleteExpiredBuildTokens(ctx context.Context, workspaceID string, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *Store) error {
		var err error
		n, err = tx.q.Exec(ctx, `DELETE FROM build_tokens WHERE workspace_id = ? AND expires_at <= ?`, workspaceID, ts(before))
		return tx.wrap("delete expired build tokens", err)
	})
	return n, err
}

// --- subjects -------------------------------------------------------------

// CreateSubject implements store.SubjectStore.
func (s *Store) CreateSubject(ctx context.Context, sub *store.Subject) error {
	if err := required("workspace id", sub.WorkspaceID); err != nil {
		return err
	}
	if err := required("subject id", sub.ID); err != nil {
		return err
	}
	if strings.Contains(sub.ID, "/") {
		return errf(store.ErrInvalid, "subject id must not contain '/'")
	}
	sub.CreatedAt = orNow(sub.CreatedAt)
	return s.write(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO subjects (workspace_id, id, display_name, created_at) VALUES (?, ?, ?, ?)`,
			sub.WorkspaceID, sub.ID, sub.DisplayName, ts(sub.CreatedAt))
		return tx.wrap("create subject", err)
	})
}

func scanSubject(r interface{ Scan(...any) error }) (store.Subject, error) {
	var sub store.Subject
	var created int64
	if err := r.Scan(&sub.WorkspaceID, &sub.ID, &sub.DisplayName, &created); err != nil {
		return store.Subject{}, err
	}
	sub.CreatedAt = fromTS(created)
	return sub, nil
}

// GetSubject implements store.SubjectStore.
func (s *Store) GetSubject(ctx context.Context, workspaceID, id string) (store.Subject, error) {
	sub, err := scanSubject(s.q.QueryRow(ctx, `SELECT workspace_id, id, display_name, created_at FROM subjects
		WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	return sub, s.wrap("get subject", err)
}

// ListSubjects implements store.SubjectStore.
func (s *Store) ListSubjects(ctx context.Context, workspaceID string) ([]store.Subject, error) {
	rows, err := s.q.Query(ctx, `SELECT workspace_id, id, display_name, created_at FROM subjects
		WHERE workspace_id = ? ORDER BY id`, workspaceID)
	if err != nil {
		return nil, s.wrap("list subjects", err)
	}
	defer rows.Close()
	var out []store.Subject
	for rows.Next() {
		sub, err := scanSubject(rows)
		if err != nil {
			return nil, s.wrap("list subjects", err)
		}
		out = append(out, sub)
	}
	return out, s.wrap("list subjects", rows.Err())
}

// DeleteSubject implements store.SubjectStore.
func (s *Store) DeleteSubject(ctx context.Context, workspaceID, id string) error {
	return s.write(ctx, func(tx *Store) error {
		n, err := tx.q.Exec(ctx, `DELETE FROM subjects WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return tx.wrap("delete subject", err)
		}
		if n == 0 {
			return errf(store.ErrNotFound, "delete subject")
		}
		return nil
	})
}
