// Package sqlite is the default store.Store of the forge server: one SQLite
// database file through modernc.org/sqlite (pure Go, no cgo).
//
//	s, err := sqlite.Open(ctx, filepath.Join(dataDir, "forge.db"))
//	if err != nil { … }
//	defer s.Close()
//
// Open creates the file if needed, switches it to WAL, turns foreign keys
// on, sets a busy timeout and applies the embedded migrations
// (migrations/NNNN_name.sql, recorded in schema_migrations) in one
// BEGIN IMMEDIATE transaction, so it is idempotent and safe when several
// processes open the same file.
//
// Concurrency: all writes go through one connection (database/sql pool of
// size 1) and every transaction starts with BEGIN IMMEDIATE (_txlock), so
// writers in this process queue in Go instead of failing with SQLITE_BUSY,
// and a writer in another process waits up to the busy timeout for the
// write lock at BEGIN, never half-way through a transaction. Reads outside
// transactions use a separate pool of query-only connections, which WAL lets
// run alongside the writer. Inside Transaction(fn), fn must use the Store it
// is given: the outer Store's writes would wait for the connection fn holds.
package sqlite
