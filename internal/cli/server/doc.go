// Package server implements `forge server`, which runs the control plane
// (package internal/server), and `forge server init`, which prints the
// operator's admin credential.
//
// Both follow the command style of internal/cli: an options struct filled
// by RunE, the work in Run/RunInit, and a runF hook for tests. Run opens
// the store (SQLite in the data directory by default, PostgreSQL for a
// postgres:// --database), reads or creates the master key
// (FORGE_MASTER_KEY, else a 0600 key file), prints the admin credential on
// the first start, and serves until SIGINT, SIGTERM or the context ends,
// then shuts down gracefully.
package server
