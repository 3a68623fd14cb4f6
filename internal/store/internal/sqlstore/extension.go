package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/forgehq/forge/internal/store"
)

// extensionSelect reads extensions. current_state is the state of the
// current version, which transition keeps on the extension row, so that
// listing reads one table.
const extensionSelect = `SELECT e.workspace_id, e.id, e.subject_id, e.name, e.latest_version, e.current_version,
	e.current_state, e.created_at, e.updated_at
	FROM extensions e`

func scanExtension(r interface{ Scan(...any) error }) (store.Extension, error) {
	var e store.Extension
	var state string
	var created, updated int64
	if err := r.Scan(&e.WorkspaceID, &e.ID, &e.SubjectID, &e.Name, &e.LatestVersion, &e.CurrentVersion,
		&state, &created, &updated); err != nil {
		return store.Extension{}, err
	}
	e.CurrentState = store.VersionState(state)
	e.CreatedAt, e.UpdatedAt = fromTS(created), fromTS(updated)
	return e, nil
}

const versionCols = `workspace_id, extension_id, version, id, state, manifest, module_digest, module_size, build_record,
	created_by, created_at, approved_by, approved_at, rejected_by, rejected_at, reject_reason, updated_at`

func scanVersion(r interface{ Scan(...any) error }) (store.ExtensionVersion, error) {
	var v store.ExtensionVersion
	var state string
	var created, updated int64
	var approved, rejected sql.NullInt64
	if err := r.Scan(&v.WorkspaceID, &v.ExtensionID, &v.Version, &v.ID, &state, &v.Manifest, &v.ModuleDigest,
		&v.ModuleSize, &v.BuildRecord, &v.CreatedBy, &created, &v.ApprovedBy, &approved, &v.RejectedBy,
		&rejected, &v.RejectReason, &updated); err != nil {
		return store.ExtensionVersion{}, err
	}
	v.State = store.VersionState(state)
	v.CreatedAt, v.UpdatedAt = fromTS(created), fromTS(updated)
	v.ApprovedAt, v.RejectedAt = fromNTS(approved), fromNTS(rejected)
	return v, nil
}

func validNamespace(ns store.Namespace) error {
	if ns.WorkspaceID == "" || ns.SubjectID == "" || ns.Extension == "" {
		return errf(store.ErrInvalid, "namespace %q is incomplete", ns.String())
	}
	if strings.Contains(ns.Extension, "/") {
		return errf(store.ErrInvalid, "extension name must not contain '/'")
	}
	return nil
}

// PushVersion implements store.ExtensionStore.
func (s *Store) PushVersion(ctx context.Context, p store.PushVersion) (store.ExtensionVersion, error) {
	ns := p.Namespace
	if err := validNamespace(ns); err != nil {
		return store.ExtensionVersion{}, err
	}
	if err := required("module digest", p.ModuleDigest); err != nil {
		return store.ExtensionVersion{}, err
	}
	at := orNow(p.CreatedAt)
	var out store.ExtensionVersion
	err := s.write(ctx, func(tx *Store) error {
		_, err := tx.q.Exec(ctx, `INSERT INTO extensions (workspace_id, id, subject_id, name, latest_version, current_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, 0, 0, ?, ?) ON CONFLICT (workspace_id, subject_id, name) DO NOTHING`,
			ns.WorkspaceID, store.NewID(), ns.SubjectID, ns.Extension, ts(at), ts(at))
		if err != nil {
			return tx.wrap("push version", err)
		}
		var extID string
		var latest int64
		err = tx.q.QueryRow(ctx, `SELECT id, latest_version FROM extensions WHERE workspace_id = ? AND subject_id = ? AND name = ?`+tx.d.ForUpdate,
			ns.WorkspaceID, ns.SubjectID, ns.Extension).Scan(&extID, &latest)
		if err != nil {
			return tx.wrap("push version", err)
		}
		out = store.ExtensionVersion{
			ID: store.NewID(), WorkspaceID: ns.WorkspaceID, ExtensionID: extID, Version: latest + 1,
			State: store.StatePending, Manifest: p.Manifest, ModuleDigest: p.ModuleDigest,
			ModuleSize: int64(len(p.Module)), BuildRecord: p.BuildRecord, CreatedBy: p.CreatedBy,
			CreatedAt: at, UpdatedAt: at,
		}
		_, err = tx.q.Exec(ctx, `INSERT INTO extension_versions (workspace_id, extension_id, version, id, state, manifest, module,
			module_digest, module_size, build_record, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.WorkspaceID, out.ExtensionID, out.Version, out.ID, string(out.State), blob(p.Manifest), blob(p.Module),
			out.ModuleDigest, out.ModuleSize, blob(p.BuildRecord), out.CreatedBy, ts(at), ts(at))
		if err != nil {
			return tx.wrap("push version", err)
		}
		_, err = tx.q.Exec(ctx, `UPDATE extensions SET latest_version = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
			out.Version, ts(at), ns.WorkspaceID, extID)
		return tx.wrap("push version", err)
	})
	if err != nil {
		return store.ExtensionVersion{}, err
	}
	return out, nil
}

// GetExtension implements store.ExtensionStore.
func (s *Store) GetExtension(ctx context.Context, workspaceID, extensionID string) (store.Extension, error) {
	e, err := scanExtension(s.q.QueryRow(ctx, extensionSelect+` WHERE e.workspace_id = ? AND e.id = ?`, workspaceID, extensionID))
	return e, s.wrap("get extension", err)
}

// GetExtensionByName implements store.ExtensionStore.
func (s *Store) GetExtensionByName(ctx context.Context, ns store.Namespace) (store.Extension, error) {
	e, err := scanExtension(s.q.QueryRow(ctx, extensionSelect+` WHERE e.workspace_id = ? AND e.subject_id = ? AND e.name = ?`,
		ns.WorkspaceID, ns.SubjectID, ns.Extension))
	return e, s.wrap("get extension", err)
}

// ListExtensions implements store.ExtensionStore.
func (s *Store) ListExtensions(ctx context.Context, workspaceID, subjectID string) ([]store.Extension, error) {
	q := extensionSelect + ` WHERE e.workspace_id = ?`
	args := []any{workspaceID}
	if subjectID != "" {
		q += ` AND e.subject_id = ?`
		args = append(args, subjectID)
	}
	rows, err := s.q.Query(ctx, q+` ORDER BY e.subject_id, e.name`, args...)
	if err != nil {
		return nil, s.wrap("list extensions", err)
	}
	defer rows.Close()
	var out []store.Extension
	for rows.Next() {
		e, err := scanExtension(rows)
		if err != nil {
			return nil, s.wrap("list extensions", err)
		}
		out = append(out, e)
	}
	return out, s.wrap("list extensions", rows.Err())
}

// DeleteExtension implements store.ExtensionStore.
func (s *Store) DeleteExtension(ctx context.Context, workspaceID, extensionID string) error {
	return s.write(ctx, func(tx *Store) error {
		n, err := tx.q.Exec(ctx, `DELETE FROM extensions WHERE workspace_id = ? AND id = ?`, workspaceID, extensionID)
		if err != nil {
			return tx.wrap("delete extension", err)
		}
		if n == 0 {
			return errf(store.ErrNotFound, "delete extension")
		}
		return nil
	})
}

// GetVersion implements store.ExtensionStore.
func (s *Store) GetVersion(ctx context.Context, workspaceID, extensionID string, version int64) (store.ExtensionVersion, error) {
	v, err := scanVersion(s.q.QueryRow(ctx, `SELECT `+versionCols+` FROM extension_versions
		WHERE workspace_id = ? AND extension_id = ? AND version = ?`, workspaceID, extensionID, version))
	return v, s.wrap("get version", err)
}

// ListVersions implements store.ExtensionStore.
func (s *Store) ListVersions(ctx context.Context, workspaceID, extensionID string) ([]store.ExtensionVersion, error) {
	rows, err := s.q.Query(ctx, `SELECT `+versionCols+` FROM extension_versions
		WHERE workspace_id = ? AND extension_id = ? ORDER BY version`, workspaceID, extensionID)
	if err != nil {
		return nil, s.wrap("list versions", err)
	}
	defer rows.Close()
	var out []store.ExtensionVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, s.wrap("list versions", err)
		}
		out = append(out, v)
	}
	return out, s.wrap("list versions", rows.Err())
}

// GetModule implements store.ExtensionStore.
func (s *Store) GetModule(ctx context.Context, workspaceID, extensionID string, version int64) ([]byte, error) {
	var module []byte
	err := s.q.QueryRow(ctx, `SELECT module FROM extension_versions WHERE workspace_id = ? AND extension_id = ? AND version = ?`,
		workspaceID, extensionID, version).Scan(&module)
	if err != nil {
		return nil, s.wrap("get module", err)
	}
	if module == nil {
		module = []byte{}
	}
	return module, nil
}

// ActiveVersion implements store.ExtensionStore.
func (s *Store) ActiveVersion(ctx context.Context, workspaceID, extensionID string) (store.ExtensionVersion, error) {
	v, err := scanVersion(s.q.QueryRow(ctx, `SELECT `+versionCols+` FROM extension_versions
		WHERE workspace_id = ? AND extension_id = ? AND state = ?`, workspaceID, extensionID, string(store.StateActive)))
	return v, s.wrap("active version", err)
}

// --- state machine ----------------------------------------------------------

// transition locks the extension, lets decide pick the version to change and
// its new state, and applies it. decide returns ErrInvalidState (wrapped) to
// refuse. When the new state is active, the extension's current version
// becomes superseded first and current_version moves to the target.
func (s *Store) transition(ctx context.Context, op, workspaceID, extensionID string, d store.Decision,
	decide func(tx *Store, ext store.Extension) (target int64, to store.VersionState, err error),
) (store.ExtensionVersion, error) {
	at := orNow(d.At)
	var out store.ExtensionVersion
	err := s.write(ctx, func(tx *Store) error {
		// Lock the extension row while reading it: concurrent transitions
		// of one extension are serialized.
		ext, err := scanExtension(tx.q.QueryRow(ctx, extensionSelect+` WHERE e.workspace_id = ? AND e.id = ?`+tx.d.ForUpdate,
			workspaceID, extensionID))
		if err != nil {
			return tx.wrap(op, err)
		}
		target, to, err := decide(tx, ext)
		if err != nil {
			return err
		}
		if to == store.StateActive && ext.CurrentVersion != 0 && ext.CurrentVersion != target {
			_, err := tx.q.Exec(ctx, `UPDATE extension_versions SET state = ?, updated_at = ?
				WHERE workspace_id = ? AND extension_id = ? AND version = ? AND state IN (?, ?)`,
				string(store.StateSuperseded), ts(at), workspaceID, extensionID, ext.CurrentVersion,
				string(store.StateActive), string(store.StateDisabled))
			if err != nil {
				return tx.wrap(op, err)
			}
		}
		set := `state = ?, updated_at = ?`
		args := []any{string(to), ts(at)}
		switch {
		case op == "approve version":
			set += `, approved_by = ?, approved_at = ?`
			args = append(args, d.Actor, ts(at))
		case to == store.StateRejected:
			set += `, rejected_by = ?, rejected_at = ?, reject_reason = ?`
			args = append(args, d.Actor, ts(at), d.Reason)
		}
		args = append(args, workspaceID, extensionID, target)
		if _, err := tx.q.Exec(ctx, `UPDATE extension_versions SET `+set+` WHERE workspace_id = ? AND extension_id = ? AND version = ?`, args...); err != nil {
			return tx.wrap(op, err)
		}
		// The extension's current version (and its state) changes when a
		// version becomes active, or when the current version itself moves
		// (disable, enable); rejecting a pending version changes neither.
		if to == store.StateActive || target == ext.CurrentVersion {
			if _, err := tx.q.Exec(ctx, `UPDATE extensions SET current_version = ?, current_state = ?, updated_at = ?
				WHERE workspace_id = ? AND id = ?`,
				target, string(to), ts(at), workspaceID, extensionID); err != nil {
				return tx.wrap(op, err)
			}
		}
		out, err = tx.GetVersion(ctx, workspaceID, extensionID, target)
		return err
	})
	if err != nil {
		return store.ExtensionVersion{}, err
	}
	return out, nil
}

// ApproveVersion implements store.ExtensionStore.
func (s *Store) ApproveVersion(ctx context.Context, workspaceID, extensionID string, version int64, d store.Decision) (store.ExtensionVersion, error) {
	const op = "approve version"
	return s.transition(ctx, op, workspaceID, extensionID, d, func(tx *Store, ext store.Extension) (int64, store.VersionState, error) {
		v, err := tx.GetVersion(ctx, workspaceID, extensionID, version)
		if err != nil {
			return 0, "", err
		}
		if v.State != store.StatePending {
			return 0, "", errf(store.ErrInvalidState, "%s: version %d is %s, not %s", op, version, v.State, store.StatePending)
		}
		if version <= ext.CurrentVersion {
			return 0, "", errf(store.ErrInvalidState, "%s: version %d is older than the current version %d", op, version, ext.CurrentVersion)
		}
		return version, store.StateActive, nil
	})
}

// RejectVersion implements store.ExtensionStore.
func (s *Store) RejectVersion(ctx context.Context, workspaceID, extensionID string, version int64, d store.Decision) (store.ExtensionVersion, error) {
	const op = "reject version"
	if strings.TrimSpace(d.Reason) == "" {
		return store.ExtensionVersion{}, errf(store.ErrInvalid, "%s: a reason is required", op)
	}
	return s.transition(ctx, op, workspaceID, extensionID, d, func(tx *Store, _ store.Extension) (int64, store.VersionState, error) {
		v, err := tx.GetVersion(ctx, workspaceID, extensionID, version)
		if err != nil {
			return 0, "", err
		}
		if v.State != store.StatePending {
			return 0, "", errf(store.ErrInvalidState, "%s: version %d is %s, not %s", op, version, v.State, store.StatePending)
		}
		return version, store.StateRejected, nil
	})
}

// DisableExtension implements store.ExtensionStore.
func (s *Store) DisableExtension(ctx context.Context, workspaceID, extensionID string, d store.Decision) (store.ExtensionVersion, error) {
	const op = "disable extension"
	return s.transition(ctx, op, workspaceID, extensionID, d, func(_ *Store, ext store.Extension) (int64, store.VersionState, error) {
		if ext.CurrentState != store.StateActive {
			return 0, "", errf(store.ErrInvalidState, "%s: no active version", op)
		}
		return ext.CurrentVersion, store.StateDisabled, nil
	})
}

// EnableExtension implements store.ExtensionStore.
func (s *Store) EnableExtension(ctx context.Context, workspaceID, extensionID string, d store.Decision) (store.ExtensionVersion, error) {
	const op = "enable extension"
	return s.transition(ctx, op, workspaceID, extensionID, d, func(tx *Store, ext store.Extension) (int64, store.VersionState, error) {
		if ext.CurrentState != store.StateDisabled {
			return 0, "", errf(store.ErrInvalidState, "%s: the extension is not disabled", op)
		}
		v, err := tx.GetVersion(ctx, workspaceID, extensionID, ext.CurrentVersion)
		if err != nil {
			return 0, "", err
		}
		if !v.Approved() {
			return 0, "", errf(store.ErrInvalidState, "%s: version %d was never approved", op, v.Version)
		}
		return ext.CurrentVersion, store.StateActive, nil
	})
}

// RollbackExtension implements store.ExtensionStore.
func (s *Store) RollbackExtension(ctx context.Context, workspaceID, extensionID string, toVersion int64, d store.Decision) (store.ExtensionVersion, error) {
	const op = "roll back extension"
	return s.transition(ctx, op, workspaceID, extensionID, d, func(tx *Store, ext store.Extension) (int64, store.VersionState, error) {
		v, err := tx.GetVersion(ctx, workspaceID, extensionID, toVersion)
		if err != nil {
			return 0, "", err
		}
		if toVersion >= ext.CurrentVersion {
			return 0, "", errf(store.ErrInvalidState, "%s: version %d is not earlier than the current version %d", op, toVersion, ext.CurrentVersion)
		}
		if !v.Approved() || v.State != store.StateSuperseded {
			return 0, "", errf(store.ErrInvalidState, "%s: version %d is %s, not an earlier approved version", op, toVersion, v.State)
		}
		return toVersion, store.StateActive, nil
	})
}
