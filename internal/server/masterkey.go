package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/vault"
)

// ErrMasterKeyMismatch is wrapped by the errors of CheckMasterKey and
// RotateMasterKey when data keys are wrapped by a master key other than the
// one given.
var ErrMasterKeyMismatch = errors.New("master key mismatch")

// CheckMasterKey returns an error wrapping ErrMasterKeyMismatch unless every
// data key in st is wrapped by mk: a server started with the wrong master
// key, or with the old key after a rotation, must not start (it could open
// no secret, and would wrap new data keys under a key the others lack).
func CheckMasterKey(ctx context.Context, st store.Store, mk *vault.MasterKey) error {
	ids, err := st.MasterKeyIDs(ctx)
	if err != nil {
		return err
	}
	delete(ids, mk.ID)
	if len(ids) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the database's data keys are wrapped by master key %s, and this master key is %s "+
		"(a wrong FORGE_MASTER_KEY or key file, or a rotation this server missed: restart it with the current key)",
		ErrMasterKeyMismatch, describeIDs(ids), mk.ID)
}

func describeIDs(ids map[string]int64) string {
	parts := make([]string, 0, len(ids))
	for id, n := range ids {
		parts = append(parts, fmt.Sprintf("%s (%d data keys)", id, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Rotation is what RotateMasterKey did.
type Rotation struct {
	From       string `json:"previousMasterKeyId"`
	To         string `json:"masterKeyId"`
	Workspaces int    `json:"workspaces"` // workspaces with a data key re-wrapped
	DataKeys   int    `json:"dataKeys"`   // data keys re-wrapped now
	Already    int    `json:"alreadyRewrapped"`
}

// RotateMasterKey re-wraps every data key wrapped by from so that it is
// wrapped by to, in one transaction, and records a master_key.rotate audit
// record in each workspace it changed. Data keys already wrapped by to are
// left alone, so an interrupted rotation can be run again; a data key
// wrapped by any other key fails the rotation (ErrMasterKeyMismatch) and
// nothing changes. The data keys themselves, and so every secret, do not
// change.
func RotateMasterKey(ctx context.Context, st store.Store, from, to *vault.MasterKey, now time.Time) (Rotation, error) {
	r := Rotation{From: from.ID, To: to.ID}
	if from.ID == to.ID {
		return r, fmt.Errorf("rotate master key: the new master key is the current one (%s)", to.ID)
	}
	now = now.UTC().Truncate(time.Microsecond)
	err := st.Transaction(ctx, func(tx store.Store) error {
		wss, err := tx.ListWorkspaces(ctx)
		if err != nil {
			return err
		}
		for _, ws := range wss {
			keys, err := tx.ListDataKeys(ctx, ws.ID)
			if err != nil {
				return err
			}
			n := 0
			for _, k := range keys {
				switch k.MasterKeyID {
				case to.ID:
					r.Already++
					continue
				case from.ID:
				default:
					return fmt.Errorf("%w: data key %s of workspace %s is wrapped by master key %s, neither %s nor %s",
						ErrMasterKeyMismatch, k.ID, ws.ID, k.MasterKeyID, from.ID, to.ID)
				}
				wrapped, err := vault.Rewrap(from, to, k.Wrapped)
				if err != nil {
					return fmt.Errorf("data key %s of workspace %s: %w", k.ID, ws.ID, err)
				}
				if err := tx.RewrapDataKey(ctx, ws.ID, k.ID, wrapped, to.ID); err != nil {
					return err
				}
				n++
			}
			if n == 0 {
				continue
			}
			r.Workspaces++
			r.DataKeys += n
			_, err = audit.Append(ctx, tx, ws.ID, audit.Entry{
				Time: now, Actor: "operator", Action: "master_key.rotate", Target: ws.ID,
				Details: map[string]any{"from": from.ID, "to": to.ID, "dataKeys": n},
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Rotation{}, fmt.Errorf("rotate master key: %w", err)
	}
	return r, nil
}
