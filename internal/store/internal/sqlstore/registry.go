package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/forgehq/forge/internal/store"
)

// PushRegistry implements store.RegistryStore.
func (s *Store) PushRegistry(ctx context.Context, r store.Registry) (store.Registry, error) {
	const op = "push registry"
	if err := required("workspace id", r.WorkspaceID); err != nil {
		return store.Registry{}, err
	}
	if err := required("registry digest", r.Digest); err != nil {
		return store.Registry{}, err
	}
	if len(r.Document) == 0 {
		return store.Registry{}, errf(store.ErrInvalid, "%s: document is required", op)
	}
	r.CreatedAt = orNow(r.CreatedAt)
	var out store.Registry
	err := s.write(ctx, func(tx *Store) error {
		if err := tx.lockWorkspace(ctx, r.WorkspaceID); err != nil {
			return err
		}
		cur, err := tx.CurrentRegistry(ctx, r.WorkspaceID)
		switch {
		case err == nil && cur.Digest == r.Digest:
			out = cur
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		r.Version = cur.Version + 1
		_, err = tx.q.Exec(ctx, `INSERT INTO registry_versions (workspace_id, version, digest, document, pushed_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.WorkspaceID, r.Version, r.Digest, r.Document, r.PushedBy, ts(r.CreatedAt))
		if err != nil {
			return tx.wrap(op, err)
		}
		out = r
		return nil
	})
	if err != nil {
		return store.Registry{}, err
	}
	return out, nil
}

const registryCols = `workspace_id, version, digest, document, pushed_by, created_at`

func scanRegistry(r interface{ Scan(...any) error }) (store.Registry, error) {
	var reg store.Registry
	var created int64
	if err := r.Scan(&reg.WorkspaceID, &reg.Version, &reg.Digest, &reg.Document, &reg.PushedBy, &created); err != nil {
		return store.Registry{}, err
	}
	reg.CreatedAt = fromTS(created)
	return reg, nil
}

// CurrentRegistry implements store.RegistryStore.
func (s *Store) CurrentRegistry(ctx context.Context, workspaceID string) (store.Registry, error) {
	r, err := scanRegistry(s.q.QueryRow(ctx, `SELECT `+registryCols+` FROM registry_versions
		WHERE workspace_id = ? ORDER BY version DESC LIMIT 1`, workspaceID))
	return r, s.wrap("current registry", err)
}

// GetRegistry implements store.RegistryStore.
func (s *Store) GetRegistry(ctx context.Context, workspaceID string, version int64) (store.Registry, error) {
	r, err := scanRegistry(s.q.QueryRow(ctx, `SELECT `+registryCols+` FROM registry_versions
		WHERE workspace_id = ? AND version = ?`, workspaceID, version))
	return r, s.wrap("get registry", err)
}

// ListRegistryVersions implements store.RegistryStore.
func (s *Store) ListRegistryVersions(ctx context.Context, workspaceID string) ([]store.Registry, error) {
	rows, err := s.q.Query(ctx, `SELECT workspace_id, version, digest, pushed_by, created_at FROM registry_versions
		WHERE workspace_id = ? ORDER BY version`, workspaceID)
	if err != nil {
		return nil, s.wrap("list registry versions", err)
	}
	defer rows.Close()
	var out []store.Registry
	for rows.Next() {
		var r store.Registry
		var created int64
		if err := rows.Scan(&r.WorkspaceID, &r.Version, &r.Digest, &r.PushedBy, &created); err != nil {
			return nil, s.wrap("list registry versions", err)
		}
		r.CreatedAt = fromTS(created)
		out = append(out, r)
	}
	return out, s.wrap("list registry versions", rows.Err())
}

// --- data keys ---------------------------------------------------------------

const dataKeyCols = `workspace_id, id, wrapped, master_key_id, created_at`

func scanDataKey(r interface{ Scan(...any) error }) (store.DataKey, error) {
	var k store.DataKey
	var created int64
	if err := r.Scan(&k.WorkspaceID, &k.ID, &k.Wrapped, &k.MasterKeyID, &created); err != nil {
		return store.DataKey{}, err
	}
	k.CreatedAt = fromTS(created)
	return k, nil
}

// CreateDataKey implements store.DataKeyStore.
func (s *Store) CreateDataKey(ctx context.Context, k *store.DataKey) error {
	if err := required("workspace id", k.WorkspaceID); err != nil {
		return err
	}
	if err := required("master key id", k.MasterKeyID); err != nil {
		return err
	}
	if len(k.Wrapped) == 0 {
		return errf(store.ErrInvalid, "wrapped data key is required")
	}
	if k.ID == "" {
		k.ID = store.NewID()
	}
	k.CreatedAt = orNow(k.CreatedAt)
	return s.write(ctx, func(tx *Store) error {
		if err := tx.lockWorkspace(ctx, k.WorkspaceID); err != nil {
			return err
		}
		var other string
		err := tx.q.QueryRow(ctx, `SELECT master_key_id FROM data_keys WHERE master_key_id <> ? LIMIT 1`, k.MasterKeyID).Scan(&other)
		switch {
		case err == nil:
			return errf(store.ErrConflict, "create data key: the data keys are wrapped by master key %s, not %s (was the master key rotated?)", other, k.MasterKeyID)
		case !errors.Is(err, store.ErrNotFound):
			return tx.wrap("create data key", err)
		}
		var seq sql.NullInt64
		if err := tx.q.QueryRow(ctx, `SELECT MAX(seq) FROM data_keys WHERE workspace_id = ?`, k.WorkspaceID).Scan(&seq); err != nil {
			return tx.wrap("create data key", err)
		}
		_, err = tx.q.Exec(ctx, `INSERT INTO data_keys (`+dataKeyCols+`, seq) VALUES (?, ?, ?, ?, ?, ?)`,
			k.WorkspaceID, k.ID, k.Wrapped, k.MasterKeyID, ts(k.CreatedAt), seq.Int64+1)
		return tx.wrap("create data key", err)
	})
}

// GetDataKey implements store.DataKeyStore.
func (s *Store) GetDataKey(ctx context.Context, workspaceID, id string) (store.DataKey, error) {
	k, err := scanDataKey(s.q.QueryRow(ctx, `SELECT `+dataKeyCols+` FROM data_keys WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	return k, s.wrap("get data key", err)
}

// CurrentDataKey implements store.DataKeyStore.
func (s *Store) CurrentDataKey(ctx context.Context, workspaceID string) (store.DataKey, error) {
	k, err := scanDataKey(s.q.QueryRow(ctx, `SELECT `+dataKeyCols+` FROM data_keys WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1`, workspaceID))
	return k, s.wrap("current data key", err)
}

// ListDataKeys implements store.DataKeyStore.
func (s *Store) ListDataKeys(ctx context.Context, workspaceID string) ([]store.DataKey, error) {
	rows, err := s.q.Query(ctx, `SELECT `+dataKeyCols+` FROM data_keys WHERE workspace_id = ? ORDER BY seq`, workspaceID)
	if err != nil {
		return nil, s.wrap("list data keys", err)
	}
	defer rows.Close()
	var out []store.DataKey
	for rows.Next() {
		k, err := scanDataKey(rows)
		if err != nil {
			return nil, s.wrap("list data keys", err)
		}
		out = append(out, k)
	}
	return out, s.wrap("list data keys", rows.Err())
}

// RewrapDataKey implements store.DataKeyStore.
func (s *Store) RewrapDataKey(ctx context.Context, workspaceID, id string, wrapped []byte, masterKeyID string) error {
	if len(wrapped) == 0 || masterKeyID == "" {
		return errf(store.ErrInvalid, "rewrap data key: wrapped key and master key id are required")
	}
	return s.write(ctx, func(tx *Store) error {
		n, err := tx.q.Exec(ctx, `UPDATE data_keys SET wrapped = ?, master_key_id = ? WHERE workspace_id = ? AND id = ?`,
			wrapped, masterKeyID, workspaceID, id)
		if err != nil {
			return tx.wrap("rewrap data key", err)
		}
		if n == 0 {
			return errf(store.ErrNotFound, "rewrap data key")
		}
		return nil
	})
}

// MasterKeyIDs implements store.DataKeyStore.
func (s *Store) MasterKeyIDs(ctx context.Context) (map[string]int64, error) {
	rows, err := s.q.Query(ctx, `SELECT master_key_id, COUNT(*) FROM data_keys GROUP BY master_key_id`)
	if err != nil {
		return nil, s.wrap("master key ids", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, s.wrap("master key ids", err)
		}
		out[id] = n
	}
	return out, s.wrap("master key ids", rows.Err())
}
