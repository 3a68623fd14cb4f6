package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Lock namespaces for pg_advisory_xact_lock(int, int): the first key says
// what is locked, the second which one (a hash of the schema, or of the
// workspace id).
const (
	lockMigrate = 0x466f7201 // "For" 1
	lockAudit   = 0x466f7202
)

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	*sqlstore.Store
}

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; search_path and other run-time parameters may be given in it) and
// applies pending migrations under an advisory lock, so several server
// processes may start at once.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.MaxConns < 4 {
		cfg.MaxConns = int32(max(4, 2*runtime.GOMAXPROCS(0)))
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &pgDB{pool: p}
	migrations, err := sqlstore.LoadMigrations(migrationFS, "migrations")
	if err == nil {
		_, err = sqlstore.Migrate(ctx, db, migrations, func(ctx context.Context, tx sqlstore.Querier) error {
			_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))`, lockMigrate)
			return err
		})
	}
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{Store: sqlstore.New(db, dialect)}, nil
}

var dialect = sqlstore.Dialect{
	ForUpdate: " FOR NO KEY UPDATE",
	LockAuditChain: func(ctx context.Context, tx sqlstore.Querier, workspaceID string) error {
		// Held until the transaction ends. Appenders of one workspace, in
		// any process, queue here; a hash collision only makes two
		// workspaces share a queue.
		_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(?))`, lockAudit, workspaceID)
		return err
	},
	MapError: mapError,
}

func mapError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", store.ErrConflict, pe.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: a referenced object does not exist", store.ErrNotFound)
		}
	}
	return err
}

// --- pgx adapter -------------------------------------------------------------------

type pgDB struct {
	pool *pgxpool.Pool
	once sync.Once
}

func (d *pgDB) Reader() sqlstore.Querier { return poolQuerier{d.pool} }

func (d *pgDB) Begin(ctx context.Context) (sqlstore.Tx, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &pgTx{tx: tx}, nil
}

func (d *pgDB) Close() error {
	d.once.Do(d.pool.Close)
	return nil
}

// poolQuerier runs each statement on a pooled connection.
type poolQuerier struct{ p *pgxpool.Pool }

func (q poolQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.p.Exec(ctx, sqlstore.Rebind(query), args...)
	return tag.RowsAffected(), err
}

func (q poolQuerier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.p.Query(ctx, sqlstore.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	return &pgRows{Rows: rows}, nil
}

func (q poolQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	rows, err := q.Query(ctx, query, args...)
	return pgRow{rows: rows, err: err}
}

type pgRows struct {
	pgx.Rows
}

// pgRow reads the first row of rows and closes them.
type pgRow struct {
	rows sqlstore.Rows
	err  error
}

func (r pgRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return store.ErrNotFound
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

type pgTx struct {
	tx pgx.Tx
}

func (t *pgTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, sqlstore.Rebind(query), args...)
	return tag.RowsAffected(), err
}

func (t *pgTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := t.tx.Query(ctx, sqlstore.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	return &pgRows{Rows: rows}, nil
}

func (t *pgTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	rows, err := t.Query(ctx, query, args...)
	return pgRow{rows: rows, err: err}
}

func (t *pgTx) Commit(ctx context.Context) error { return t.tx.Commit(ctx) }

func (t *pgTx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
