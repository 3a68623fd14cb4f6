package sqlstore

import (
	"bytes"
	"context"
	"errors"

	"github.com/forgehq/forge/internal/store"
)

const auditCols = `workspace_id, seq, time, actor, action, target, details, prev_hash, hash`

func scanAudit(r interface{ Scan(...any) error }) (store.AuditRecord, error) {
	var a store.AuditRecord
	var at int64
	if err := r.Scan(&a.WorkspaceID, &a.Seq, &at, &a.Actor, &a.Action, &a.Target, &a.Details, &a.PrevHash, &a.Hash); err != nil {
		return store.AuditRecord{}, err
	}
	a.Time = fromTS(at)
	return a, nil
}

// AppendAudit implements store.AuditStore.
func (s *Store) AppendAudit(ctx context.Context, workspaceID string, build func(prev store.AuditRecord) (store.AuditRecord, error)) (store.AuditRecord, error) {
	const op = "append audit"
	if err := required("workspace id", workspaceID); err != nil {
		return store.AuditRecord{}, err
	}
	var out store.AuditRecord
	err := s.write(ctx, func(tx *Store) error {
		if err := tx.d.LockAuditChain(ctx, tx.q, workspaceID); err != nil {
			return tx.wrap(op, err)
		}
		// The new record links to the head, not to the newest stored row:
		// had that row been deleted, linking to the one before would hide
		// the deletion.
		prev := store.AuditRecord{WorkspaceID: workspaceID}
		head, err := tx.AuditHead(ctx, workspaceID)
		switch {
		case err == nil:
			prev.Seq, prev.Hash = head.Seq, head.Hash
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		rec, err := build(prev)
		if err != nil {
			return err
		}
		if rec.WorkspaceID == "" {
			rec.WorkspaceID = workspaceID
		}
		switch {
		case rec.WorkspaceID != workspaceID:
			return errf(store.ErrInvalid, "%s: record is for another workspace", op)
		case rec.Seq != prev.Seq+1:
			return errf(store.ErrInvalid, "%s: seq %d does not follow %d", op, rec.Seq, prev.Seq)
		case !bytes.Equal(rec.PrevHash, prev.Hash):
			return errf(store.ErrInvalid, "%s: prev_hash does not link to record %d", op, prev.Seq)
		case len(rec.Hash) == 0:
			return errf(store.ErrInvalid, "%s: hash is required", op)
		case rec.Action == "":
			return errf(store.ErrInvalid, "%s: action is required", op)
		case rec.Time.IsZero() || rec.Time.UnixNano() != rec.Time.UnixMicro()*1000:
			return errf(store.ErrInvalid, "%s: time must be set and truncated to microseconds", op)
		}
		rec.Time = rec.Time.UTC()
		_, err = tx.q.Exec(ctx, `INSERT INTO audit_records (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rec.WorkspaceID, rec.Seq, ts(rec.Time), rec.Actor, rec.Action, rec.Target, blob(rec.Details), blob(rec.PrevHash), rec.Hash)
		if err != nil {
			return tx.wrap(op, err)
		}
		_, err = tx.q.Exec(ctx, `INSERT INTO audit_heads (workspace_id, seq, hash) VALUES (?, ?, ?)
			ON CONFLICT (workspace_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
			rec.WorkspaceID, rec.Seq, rec.Hash)
		if err != nil {
			return tx.wrap(op, err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return store.AuditRecord{}, err
	}
	return out, nil
}

// ListAudit implements store.AuditStore.
func (s *Store) ListAudit(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]store.AuditRecord, error) {
	q := `SELECT ` + auditCols + ` FROM audit_records WHERE workspace_id = ? AND seq > ? ORDER BY seq`
	args := []any{workspaceID, afterSeq}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.q.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list audit", err)
	}
	defer rows.Close()
	var out []store.AuditRecord
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return nil, s.wrap("list audit", err)
		}
		out = append(out, a)
	}
	return out, s.wrap("list audit", rows.Err())
}

// LastAudit implements store.AuditStore.
func (s *Store) LastAudit(ctx context.Context, workspaceID string) (store.AuditRecord, error) {
	a, err := scanAudit(s.q.QueryRow(ctx, `SELECT `+auditCols+` FROM audit_records WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1`, workspaceID))
	return a, s.wrap("last audit", err)
}

// AuditHead implements store.AuditStore.
func (s *Store) AuditHead(ctx context.Context, workspaceID string) (store.AuditHead, error) {
	var h store.AuditHead
	err := s.q.QueryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE workspace_id = ?`, workspaceID).Scan(&h.Seq, &h.Hash)
	if err != nil {
		return store.AuditHead{}, s.wrap("audit head", err)
	}
	return h, nil
}
