package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/forgehq/forge/internal/store"
)

// CreateWorkspace implements store.WorkspaceStore.
func (s *Store) CreateWorkspace(ctx context.Context, w *store.Workspace) error {
	if w.ID == "" {
		w.ID = store.NewID()
	}
	if err := required("workspace name", w.Name); err != nil {
		return err
	}
	w.CreatedAt = orNow(w.CreatedAt)
	return s.write(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)`,
			w.ID, w.Name, ts(w.CreatedAt))
		return tx.wrap("create workspace", err)
	})
}

// GetWorkspace implements store.WorkspaceStore.
func (s *Store) GetWorkspace(ctx context.Context, workspaceID string) (store.Workspace, error) {
	var w store.Workspace
	var created int64
	err := s.q.QueryRow(ctx, `SELECT id, name, created_at FROM workspaces WHERE id = ?`, workspaceID).
		Scan(&w.ID, &w.Name, &created)
	if err != nil {
		return store.Workspace{}, s.wrap("get workspace", err)
	}
	w.CreatedAt = fromTS(created)
	return w, nil
}

// ListWorkspaces implements store.WorkspaceStore.
func (s *Store) ListWorkspaces(ctx context.Context) ([]store.Workspace, error) {
	rows, err := s.q.Query(ctx, `SELECT id, name, created_at FROM workspaces ORDER BY created_at, id`)
	if err != nil {
		return nil, s.wrap("list workspaces", err)
	}
	defer rows.Close()
	var out []store.Workspace
	for rows.Next() {
		var w store.Workspace
		var created int64
		if err := rows.Scan(&w.ID, &w.Name, &created); err != nil {
			return nil, s.wrap("list workspaces", err)
		}
		w.CreatedAt = fromTS(created)
		out = append(out, w)
	}
	return out, s.wrap("list workspaces", rows.Err())
}

// RenameWorkspace implements store.WorkspaceStore.
func (s *Store) RenameWorkspace(ctx context.Context, workspaceID, name string) error {
	if err := required("workspace name", name); err != nil {
		return err
	}
	return s.write(ctx, func(tx *Store) error {
		n, err := tx.q.Exec(ctx, `UPDATE workspaces SET name = ? WHERE id = ?`, name, workspaceID)
		if err != nil {
			return tx.wrap("rename workspace", err)
		}
		if n == 0 {
			return errf(store.ErrNotFound, "rename workspace")
		}
		return nil
	})
}

// DeleteWorkspace implements store.WorkspaceStore. Audit records are kept.
func (s *Store) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	return s.write(ctx, func(tx *Store) error {
		n, err := tx.q.Exec(ctx, `DELETE FROM workspaces WHERE id = ?`, workspaceID)
		if err != nil {
			return tx.wrap("delete workspace", err)
		}
		if n == 0 {
			return errf(store.ErrNotFound, "delete workspace")
		}
		return nil
	})
}

// lockWorkspace locks the workspace row for the rest of the transaction
// (PostgreSQL; SQLite holds the write lock already). ErrNotFound if missing.
func (s *Store) lockWorkspace(ctx context.Context, workspaceID string) error {
	var id string
	err := s.q.QueryRow(ctx, `SELECT id FROM workspaces WHERE id = ?`+s.d.ForUpdate, workspaceID).Scan(&id)
	return s.wrap("lock workspace", err)
}

// SetEventTypes implements store.WorkspaceStore.
func (s *Store) SetEventTypes(ctx context.Context, workspaceID string, types []store.EventType) error {
	for _, t := range types {
		if err := required("event type name", t.Name); err != nil {
			return err
		}
	}
	return s.write(ctx, func(tx *Store) error {
		if err := tx.lockWorkspace(ctx, workspaceID); err != nil {
			return err
		}
		if _, err := tx.q.Exec(ctx, `DELETE FROM event_types WHERE workspace_id = ?`, workspaceID); err != nil {
			return tx.wrap("set event types", err)
		}
		for _, t := range types {
			_, err := tx.q.Exec(ctx, `INSERT INTO event_types (workspace_id, name, description, schema) VALUES (?, ?, ?, ?)`,
				workspaceID, t.Name, t.Description, blob(t.Schema))
			if err != nil {
				return tx.wrap("set event types", err)
			}
		}
		return nil
	})
}

// ListEventTypes implements store.WorkspaceStore.
func (s *Store) ListEventTypes(ctx context.Context, workspaceID string) ([]store.EventType, error) {
	rows, err := s.q.Query(ctx, `SELECT name, description, schema FROM event_types WHERE workspace_id = ? ORDER BY name`, workspaceID)
	if err != nil {
		return nil, s.wrap("list event types", err)
	}
	defer rows.Close()
	var out []store.EventType
	for rows.Next() {
		var t store.EventType
		if err := rows.Scan(&t.Name, &t.Description, &t.Schema); err != nil {
			return nil, s.wrap("list event types", err)
		}
		out = append(out, t)
	}
	return out, s.wrap("list event types", rows.Err())
}

// RotateSigningSecret implements store.WorkspaceStore.
func (s *Store) RotateSigningSecret(ctx context.Context, workspaceID string, sec store.SigningSecret, previousExpiresAt time.Time) (store.SigningSecret, error) {
	if err := required("signing secret key id", sec.KeyID); err != nil {
		return store.SigningSecret{}, err
	}
	if len(sec.Nonce) == 0 || len(sec.Ciphertext) == 0 {
		return store.SigningSecret{}, errf(store.ErrInvalid, "signing secret nonce and ciphertext are required")
	}
	sec.CreatedAt = orNow(sec.CreatedAt)
	sec.ExpiresAt = time.Time{}
	err := s.write(ctx, func(tx *Store) error {
		if err := tx.lockWorkspace(ctx, workspaceID); err != nil {
			return err
		}
		var last sql.NullInt64
		if err := tx.q.QueryRow(ctx, `SELECT MAX(version) FROM signing_secrets WHERE workspace_id = ?`, workspaceID).Scan(&last); err != nil {
			return tx.wrap("rotate signing secret", err)
		}
		sec.Version = last.Int64 + 1
		if last.Valid {
			if previousExpiresAt.IsZero() {
				return errf(store.ErrInvalid, "rotate signing secret: the previous secret needs an expiry")
			}
			if _, err := tx.q.Exec(ctx, `DELETE FROM signing_secrets WHERE workspace_id = ? AND expires_at IS NOT NULL`, workspaceID); err != nil {
				return tx.wrap("rotate signing secret", err)
			}
			if _, err := tx.q.Exec(ctx, `UPDATE signing_secrets SET expires_at = ? WHERE workspace_id = ? AND expires_at IS NULL`,
				ts(previousExpiresAt), workspaceID); err != nil {
				return tx.wrap("rotate signing secret", err)
			}
		}
		_, err := tx.q.Exec(ctx, `INSERT INTO signing_secrets (workspace_id, version, key_id, nonce, ciphertext, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, NULL)`, workspaceID, sec.Version, sec.KeyID, sec.Nonce, sec.Ciphertext, ts(sec.CreatedAt))
		return tx.wrap("rotate signing secret", err)
	})
	if err != nil {
		return store.SigningSecret{}, err
	}
	return sec, nil
}

// SigningSecrets implements store.WorkspaceStore.
func (s *Store) SigningSecrets(ctx context.Context, workspaceID string, at time.Time) ([]store.SigningSecret, error) {
	rows, err := s.q.Query(ctx, `SELECT version, key_id, nonce, ciphertext, created_at, expires_at FROM signing_secrets
		WHERE workspace_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY version DESC`, workspaceID, ts(at))
	if err != nil {
		return nil, s.wrap("signing secrets", err)
	}
	defer rows.Close()
	var out []store.SigningSecret
	for rows.Next() {
		var sec store.SigningSecret
		var created int64
		var expires sql.NullInt64
		if err := rows.Scan(&sec.Version, &sec.KeyID, &sec.Nonce, &sec.Ciphertext, &created, &expires); err != nil {
			return nil, s.wrap("signing secrets", err)
		}
		sec.CreatedAt, sec.ExpiresAt = fromTS(created), fromNTS(expires)
		out = append(out, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("signing secrets", err)
	}
	if len(out) == 0 {
		return nil, errf(store.ErrNotFound, "signing secrets")
	}
	return out, nil
}
