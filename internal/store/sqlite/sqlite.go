package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// BusyTimeoutMillis is how long a connection waits for another process's write
// lock before failing with SQLITE_BUSY.
const BusyTimeoutMillis = 10000

// Store is a store.Store on one SQLite database file.
type Store struct {
	*sqlstore.Store
	path string
}

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations. Writes go through a single connection whose
// transactions start with BEGIN IMMEDIATE; reads use a pool of read-only
// connections that see the last committed state (WAL).
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("sqlite: empty database path")
	}
	writer, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// The writer connection creates the file and switches it to WAL before
	// any reader opens it.
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)

	db := &sqliteDB{writer: writer, reader: reader}
	db.stmts.db = reader
	migrations, err := sqlstore.LoadMigrations(migrationFS, "migrations")
	if err == nil {
		_, err = sqlstore.Migrate(ctx, db, migrations, nil)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return &Store{Store: sqlstore.New(db, dialect), path: path}, nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeoutMillis))
	q.Set("_foreign_keys", "1")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

var dialect = sqlstore.Dialect{
	ForUpdate: "",
	LockAuditChain: func(context.Context, sqlstore.Querier, string) error {
		return nil // BEGIN IMMEDIATE holds the database write lock
	},
	MapError: mapError,
}

func mapError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", store.ErrConflict, se.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: a referenced object does not exist", store.ErrNotFound)
		}
	}
	return err
}

// --- database/sql adapter -------------------------------------------------------

type sqliteDB struct {
	writer, reader *sql.DB
	stmts          stmtCache
}

func (d *sqliteDB) Reader() sqlstore.Querier { return querier{&d.stmts} }

// stmtCache prepares each read query once on the reader pool (database/sql
// re-prepares it per connection as needed) instead of on every call.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // query -> *sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.stmts.LoadOrStore(query, st); loaded {
		_ = st.Close() //nolint:sqlclosecheck // another goroutine cached the same query first; this copy is unused
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// close closes every cached statement; the store calls it on Close.
func (c *stmtCache) close() error {
	var errs []error
	c.stmts.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		c.stmts.Delete(k)
		return true
	})
	return errors.Join(errs...)
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // cached for the store's lifetime; closed by stmtCache.close
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // cached for the store's lifetime; closed by stmtCache.close
	if err != nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (d *sqliteDB) Begin(ctx context.Context) (sqlstore.Tx, error) {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return sqlTx{querier{tx}, tx}, nil
}

func (d *sqliteDB) Close() error {
	errs := []error{d.stmts.close()}
	return errors.Join(append(errs, d.reader.Close(), d.writer.Close())...)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type querier struct{ e execer }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.e.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.e.QueryContext(ctx, query, args...) //nolint:rowserrcheck // returned to the caller, which checks Err
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return sqlRow{q.e.QueryRowContext(ctx, query, args...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

type sqlTx struct {
	querier
	tx *sql.Tx
}

func (t sqlTx) Commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) Rollback(context.Context) error { return t.tx.Rollback() }
