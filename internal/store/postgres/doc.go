// Package postgres is the store.Store for running several forge server
// replicas on one PostgreSQL database, through pgx/v5.
//
//	s, err := postgres.Open(ctx, "postgres://forge@db/forge?sslmode=verify-full")
//
// Open applies the embedded migrations (migrations/NNNN_name.sql, recorded
// in schema_migrations) in one transaction after pg_advisory_xact_lock keyed
// by the current schema, so replicas that start together migrate once and
// the others wait and then find nothing to do. Run-time parameters in the
// DSN (search_path=…) select the schema; tests use a schema of their own.
//
// Concurrency: transactions run at READ COMMITTED. Lifecycle transitions
// lock the extension row (SELECT … FOR NO KEY UPDATE) before reading its
// state; registry pushes, signing secret rotations and data key creation
// lock the workspace row the same way; audit appends take
// pg_advisory_xact_lock on a hash of the workspace id. Unique constraints
// back each of these up (a lost race becomes store.ErrConflict, never a
// duplicate).
//
// Connections come from a pgxpool.Pool (at least max(4, 2×GOMAXPROCS)
// connections unless the DSN sets pool_max_conns).
package postgres
