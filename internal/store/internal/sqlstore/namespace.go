package sqlstore

import (
	"context"

	"github.com/forgehq/forge/internal/store"
)

// extensionID resolves a namespace to its extension id; ErrNotFound if the
// namespace has no extension in the workspace.
func (s *Store) extensionID(ctx context.Context, op string, ns store.Namespace) (string, error) {
	if err := validNamespace(ns); err != nil {
		return "", err
	}
	var id string
	err := s.q.QueryRow(ctx, `SELECT id FROM extensions WHERE workspace_id = ? AND subject_id = ? AND name = ?`,
		ns.WorkspaceID, ns.SubjectID, ns.Extension).Scan(&id)
	return id, s.wrap(op, err)
}

// nsJoin selects from a namespace table t joined to its extension.
const nsJoin = ` JOIN extensions e ON e.workspace_id = t.workspace_id AND e.id = t.extension_id
	WHERE t.workspace_id = ? AND e.subject_id = ? AND e.name = ?`

// PutSecret implements store.SecretStore.
func (s *Store) PutSecret(ctx context.Context, ns store.Namespace, sec store.Secret) error {
	const op = "put secret"
	if err := required("secret name", sec.Name); err != nil {
		return err
	}
	if err := required("secret key id", sec.KeyID); err != nil {
		return err
	}
	if len(sec.Nonce) == 0 || len(sec.Ciphertext) == 0 {
		return errf(store.ErrInvalid, "%s: nonce and ciphertext are required", op)
	}
	at := orNow(sec.UpdatedAt)
	return s.write(ctx, func(tx *Store) error {
		extID, err := tx.extensionID(ctx, op, ns)
		if err != nil {
			return err
		}
		_, err = tx.q.Exec(ctx, `INSERT INTO namespace_secrets (workspace_id, extension_id, name, key_id, nonce, ciphertext, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, extension_id, name) DO UPDATE SET
			key_id = excluded.key_id, nonce = excluded.nonce, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
			ns.WorkspaceID, extID, sec.Name, sec.KeyID, sec.Nonce, sec.Ciphertext, ts(at), ts(at))
		return tx.wrap(op, err)
	})
}

// GetSecret implements store.SecretStore.
func (s *Store) GetSecret(ctx context.Context, ns store.Namespace, name string) (store.Secret, error) {
	var sec store.Secret
	var created, updated int64
	err := s.q.QueryRow(ctx, `SELECT t.name, t.key_id, t.nonce, t.ciphertext, t.created_at, t.updated_at FROM namespace_secrets t`+
		nsJoin+` AND t.name = ?`, ns.WorkspaceID, ns.SubjectID, ns.Extension, name).
		Scan(&sec.Name, &sec.KeyID, &sec.Nonce, &sec.Ciphertext, &created, &updated)
	if err != nil {
		return store.Secret{}, s.wrap("get secret", err)
	}
	sec.CreatedAt, sec.UpdatedAt = fromTS(created), fromTS(updated)
	return sec, nil
}

// ListSecrets implements store.SecretStore. It never reads ciphertext.
func (s *Store) ListSecrets(ctx context.Context, ns store.Namespace) ([]store.SecretInfo, error) {
	if _, err := s.extensionID(ctx, "list secrets", ns); err != nil {
		return nil, err
	}
	rows, err := s.q.Query(ctx, `SELECT t.name, t.updated_at FROM namespace_secrets t`+nsJoin+` ORDER BY t.name`,
		ns.WorkspaceID, ns.SubjectID, ns.Extension)
	if err != nil {
		return nil, s.wrap("list secrets", err)
	}
	defer rows.Close()
	var out []store.SecretInfo
	for rows.Next() {
		var info store.SecretInfo
		var updated int64
		if err := rows.Scan(&info.Name, &updated); err != nil {
			return nil, s.wrap("list secrets", err)
		}
		info.UpdatedAt = fromTS(updated)
		out = append(out, info)
	}
	return out, s.wrap("list secrets", rows.Err())
}

// DeleteSecret implements store.SecretStore.
func (s *Store) DeleteSecret(ctx context.Context, ns store.Namespace, name string) error {
	return s.nsDelete(ctx, "delete secret", "namespace_secrets", "name", ns, name)
}

func (s *Store) nsDelete(ctx context.Context, op, table, col string, ns store.Namespace, key string) error {
	return s.write(ctx, func(tx *Store) error {
		extID, err := tx.extensionID(ctx, op, ns)
		if err != nil {
			return err
		}
		n, err := tx.q.Exec(ctx, `DELETE FROM `+table+` WHERE workspace_id = ? AND extension_id = ? AND `+col+` = ?`,
			ns.WorkspaceID, extID, key)
		if err != nil {
			return tx.wrap(op, err)
		}
		if n == 0 {
			return errf(store.ErrNotFound, "%s", op)
		}
		return nil
	})
}

// PutConfig implements store.ConfigStore.
func (s *Store) PutConfig(ctx context.Context, ns store.Namespace, e store.ConfigEntry) error {
	const op = "put config"
	if err := required("config key", e.Key); err != nil {
		return err
	}
	at := orNow(e.UpdatedAt)
	return s.write(ctx, func(tx *Store) error {
		extID, err := tx.extensionID(ctx, op, ns)
		if err != nil {
			return err
		}
		_, err = tx.q.Exec(ctx, `INSERT INTO namespace_config (workspace_id, extension_id, key, value, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, extension_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			ns.WorkspaceID, extID, e.Key, e.Value, ts(at))
		return tx.wrap(op, err)
	})
}

// GetConfig implements store.ConfigStore.
func (s *Store) GetConfig(ctx context.Context, ns store.Namespace, key string) (store.ConfigEntry, error) {
	e := store.ConfigEntry{Key: key}
	var updated int64
	err := s.q.QueryRow(ctx, `SELECT t.value, t.updated_at FROM namespace_config t`+nsJoin+` AND t.key = ?`,
		ns.WorkspaceID, ns.SubjectID, ns.Extension, key).Scan(&e.Value, &updated)
	if err != nil {
		return store.ConfigEntry{}, s.wrap("get config", err)
	}
	e.UpdatedAt = fromTS(updated)
	return e, nil
}

// ListConfig implements store.ConfigStore.
func (s *Store) ListConfig(ctx context.Context, ns store.Namespace) ([]store.ConfigEntry, error) {
	if _, err := s.extensionID(ctx, "list config", ns); err != nil {
		return nil, err
	}
	rows, err := s.q.Query(ctx, `SELECT t.key, t.value, t.updated_at FROM namespace_config t`+nsJoin+` ORDER BY t.key`,
		ns.WorkspaceID, ns.SubjectID, ns.Extension)
	if err != nil {
		return nil, s.wrap("list config", err)
	}
	defer rows.Close()
	var out []store.ConfigEntry
	for rows.Next() {
		var e store.ConfigEntry
		var updated int64
		if err := rows.Scan(&e.Key, &e.Value, &updated); err != nil {
			return nil, s.wrap("list config", err)
		}
		e.UpdatedAt = fromTS(updated)
		out = append(out, e)
	}
	return out, s.wrap("list config", rows.Err())
}

// DeleteConfig implements store.ConfigStore.
func (s *Store) DeleteConfig(ctx context.Context, ns store.Namespace, key string) error {
	return s.nsDelete(ctx, "delete config", "namespace_config", "key", ns, key)
}
