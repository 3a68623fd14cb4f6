// Package sqlstore is the SQL implementation of store.Store shared by the
// sqlite and postgres drivers. A driver supplies a DB (reads outside
// transactions, and transactions that hold their write locks from the
// start) and a Dialect (row locking, the audit chain lock, error mapping).
// Queries use ? placeholders; the postgres driver rewrites them with Rebind.
// Migrate applies a driver's embedded migrations under its lock.
package sqlstore
