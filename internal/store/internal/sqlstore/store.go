package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/forgehq/forge/internal/store"
)

// Store implements store.Store over a DB and a Dialect. A Store either owns
// the DB (tx == nil) or is bound to one transaction.
type Store struct {
	db DB
	d  Dialect
	q  Querier // the reader, or tx
	tx Tx
}

var _ store.Store = (*Store)(nil)

// New returns a Store over db.
func New(db DB, d Dialect) *Store {
	return &Store{db: db, d: d, q: db.Reader()}
}

// DB returns the underlying database handle.
func (s *Store) DB() DB { return s.db }

// Close closes the database unless s is bound to a transaction.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	return s.db.Close()
}

// Transaction implements store.Store.
func (s *Store) Transaction(ctx context.Context, fn func(tx store.Store) error) (err error) {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return s.wrap("begin transaction", err)
	}
	bound := &Store{db: s.db, d: s.d, q: tx, tx: tx}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(bound); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap("commit", err)
	}
	committed = true
	return nil
}

// write runs fn in a transaction (joining the current one).
func (s *Store) write(ctx context.Context, fn func(tx *Store) error) error {
	return s.Transaction(ctx, func(tx store.Store) error { return fn(tx.(*Store)) })
}

// wrap maps a driver error and prefixes the operation. It never includes
// arguments, so secret material cannot leak into errors.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrInvalidState) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return fmt.Errorf("store: %s: %w", op, s.d.MapError(err))
}

func errf(kind error, format string, args ...any) error {
	return fmt.Errorf("store: "+format+": %w", append(args, kind)...)
}

// --- value conversions ---------------------------------------------------

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func ts(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromTS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNTS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromTS(v.Int64)
}

// blob returns b for a nullable blob column (nil stays NULL).
func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func required(what, v string) error {
	if v == "" {
		return errf(store.ErrInvalid, "%s is required", what)
	}
	return nil
}
