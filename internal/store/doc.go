// Package store is the persistence layer of the forge server: workspaces,
// API keys, signing secrets, event types, subjects, build tokens,
// extensions and their versions, namespace secrets and config, data keys,
// the capability registry and the audit chain.
//
// Store is split into one interface per entity (WorkspaceStore, KeyStore,
// TokenStore, SubjectStore, ExtensionStore, SecretStore, ConfigStore,
// AuditStore, RegistryStore, DataKeyStore, AdminStore for the operator's
// credentials) plus Transaction and Ping. Two
// implementations share one SQL implementation and differ in schema,
// placeholders and locking: package sqlite (the default; one file) and
// package postgres (several server replicas on one database). Package
// storetest is the conformance suite both pass.
//
//	s, err := sqlite.Open(ctx, path) // or postgres.Open(ctx, dsn)
//	err = s.Transaction(ctx, func(tx store.Store) error {
//		v, err := tx.ApproveVersion(ctx, ws, extID, 3, store.Decision{Actor: who})
//		if err != nil {
//			return err
//		}
//		_, err = tx.AppendAudit(ctx, ws, func(prev store.AuditRecord) (store.AuditRecord, error) {
//			return nextRecord(prev, who, "extension.approve", v) // the caller hashes
//		})
//		return err
//	})
//
// # Workspace scoping (invariant 1)
//
// Every method takes the workspace id (directly or inside a Namespace) and
// every statement filters by it; child tables carry workspace_id in their
// primary and foreign keys, so a row cannot even reference a parent of
// another workspace. An object asked for with another workspace's id is
// ErrNotFound, exactly like a missing one. The exceptions are
// ListWorkspaces (the operator's view) and the two authentication lookups,
// LookupAPIKey and LookupBuildToken, which find a credential by its hash and
// return the workspace it belongs to.
//
// # Identifiers and times
//
// Ids the caller leaves empty are filled by the store with NewID (16 random
// bytes, hex). Subject ids are the host's own customer ids and are required.
// Extension names and subject ids may not contain '/', so a Namespace
// prints unambiguously. Times are stored as UTC Unix microseconds; a zero
// time passed in means "now". Token expiry is always evaluated against the
// time the caller passes, never the database clock.
//
// # Secrets (invariant 7)
//
// The store never sees plaintext: namespace secrets, signing secrets and
// data keys arrive encrypted or wrapped (nonce, ciphertext, key id) and are
// stored and returned byte for byte. Listing secrets returns names and
// update times only. Errors never include argument values.
//
// # Extension lifecycle (invariant 5)
//
// See ExtensionStore for the state machine. Transitions run in one
// transaction that locks the extension row, check the current state, and
// return ErrInvalidState when the transition is not allowed; a partial
// unique index keeps at most one active version per extension even if a
// bug slipped through. Callers write the audit record for the change in the
// same Transaction.
//
// # Audit chain
//
// Audit records form one hash chain per workspace (not one global chain: a
// workspace's log can be exported and verified alone, and appends in
// different workspaces do not contend). AppendAudit takes a callback
// instead of a record: inside one transaction it takes the workspace's chain
// lock (pg_advisory_xact_lock on PostgreSQL; the database write lock, taken
// by BEGIN IMMEDIATE, on SQLite), reads the last record, calls the callback
// with it, checks that the returned record links to it (Seq = prev.Seq+1,
// PrevHash = prev.Hash), inserts it and commits. The caller computes
// Hash over PrevHash and the fields; the store computes nothing
// cryptographic. Since the read of the head and the insert happen under the
// same lock, concurrent appenders, in one process or in several, form a
// single line; the (workspace_id, seq) primary key is the backstop that
// turns any fork into ErrConflict. Records are never updated or deleted
// (database triggers refuse it) and survive the deletion of their workspace.
// Time is part of the hashed fields and is stored with microsecond
// precision, so AppendAudit refuses a Time with sub-microsecond digits
// rather than store something that would not verify. ListAudit returns the
// records in Seq order exactly as stored, for the verifier.
package store
