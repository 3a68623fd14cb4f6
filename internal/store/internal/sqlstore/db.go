package sqlstore

import (
	"context"
	"strconv"
	"strings"
)

// Querier runs statements. Queries are written with ? placeholders; a
// Querier rewrites them for its driver.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is a result set. Close must be called.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result. Scan returns an error wrapping
// store.ErrNotFound when there is no row.
type Row interface {
	Scan(dest ...any) error
}

// Tx is a database transaction.
type Tx interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// DB is a database handle as the drivers provide it.
type DB interface {
	// Reader runs reads outside a transaction.
	Reader() Querier
	// Begin starts a read-write transaction that will not fail later for
	// lock upgrades (SQLite: BEGIN IMMEDIATE).
	Begin(ctx context.Context) (Tx, error)
	Close() error
}

// Dialect holds what differs between the SQL databases.
type Dialect struct {
	// ForUpdate is appended to SELECTs that lock the rows they read inside a
	// transaction (" FOR UPDATE" on PostgreSQL; SQLite locks the database).
	ForUpdate string
	// LockAuditChain serializes appends to one workspace's audit chain until
	// the transaction ends.
	LockAuditChain func(ctx context.Context, tx Querier, workspaceID string) error
	// MapError turns driver errors into store errors (constraint
	// violations into ErrConflict or ErrNotFound) and returns others as is.
	MapError func(err error) error
}

// Rebind rewrites ? placeholders to $1, $2, … (PostgreSQL). Queries in this
// package never contain ? inside literals.
func Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
