package store

import (
	"context"
	"errors"
	"time"
)

// Typed errors. Every error returned by a Store wraps at most one of these, so
// callers test with errors.Is and map them to HTTP statuses or exit codes.
var (
	// ErrNotFound: the object does not exist in the given workspace (or in the
	// given namespace). An object of another workspace is reported exactly like
	// a missing one.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule was violated (a name already taken, an id
	// already used, a concurrent append that lost the race).
	ErrConflict = errors.New("conflict")
	// ErrInvalidState: the requested lifecycle transition is not allowed from
	// the object's current state (approving a rejected version, enabling an
	// extension that is active, rolling back to a version never approved).
	ErrInvalidState = errors.New("invalid state")
	// ErrInvalid: an argument is malformed (empty id, TTL out of range, an audit
	// record that does not link to its predecessor).
	ErrInvalid = errors.New("invalid argument")
)

// Store is the whole persistence layer of the forge server. Implementations:
// the sqlite and postgres packages.
type Store interface {
	WorkspaceStore
	KeyStore
	TokenStore
	SubjectStore
	ExtensionStore
	SecretStore
	ConfigStore
	AuditStore
	RegistryStore
	DataKeyStore
	AdminStore

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Transaction runs fn inside one database transaction. The Store passed
	// to fn is bound to that transaction: use it, and only it, inside fn (on
	// SQLite, calling the outer Store from fn waits for the single writer
	// connection that fn itself holds). The transaction commits when fn
	// returns nil and rolls back otherwise; fn's error is returned as is.
	// Calling Transaction on a transaction-bound Store joins the running
	// transaction.
	Transaction(ctx context.Context, fn func(tx Store) error) error

	// Close releases the database. It is a no-op on a transaction-bound Store.
	Close() error
}

// WorkspaceStore keeps workspaces, their declared event types and their
// signing secrets (cws_…, encrypted by the caller).
type WorkspaceStore interface {
	// CreateWorkspace inserts w. An empty w.ID is filled with NewID(); a zero
	// w.CreatedAt with the current time. ErrConflict if the id is taken.
	CreateWorkspace(ctx context.Context, w *Workspace) error
	GetWorkspace(ctx context.Context, workspaceID string) (Workspace, error)
	// ListWorkspaces is the operator's view (it is not scoped: it lists them all).
	ListWorkspaces(ctx context.Context) ([]Workspace, error)
	RenameWorkspace(ctx context.Context, workspaceID, name string) error
	// DeleteWorkspace removes the workspace and everything it owns.
	DeleteWorkspace(ctx context.Context, workspaceID string) error

	// SetEventTypes replaces the workspace's declared event types.
	SetEventTypes(ctx context.Context, workspaceID string, types []EventType) error
	// ListEventTypes returns them ordered by name.
	ListEventTypes(ctx context.Context, workspaceID string) ([]EventType, error)

	// RotateSigningSecret makes s the current signing secret. The secret that
	// was current (if any) stays valid until previousExpiresAt; older previous
	// secrets are deleted. s.Version is assigned (1, 2, …) and returned.
	RotateSigningSecret(ctx context.Context, workspaceID string, s SigningSecret, previousExpiresAt time.Time) (SigningSecret, error)
	// SigningSecrets returns the secrets valid at now: the current one first,
	// then the previous one while its overlap window lasts. ErrNotFound if the
	// workspace has none.
	SigningSecrets(ctx context.Context, workspaceID string, now time.Time) ([]SigningSecret, error)
}

// KeyStore keeps API keys (cwa_…), stored only as hashes.
type KeyStore interface {
	// CreateAPIKey inserts k (k.Hash is the caller's hash of the key; the key
	// itself is shown once by the caller and never reaches the store).
	// ErrConflict if the hash is already known; ErrNotFound if the workspace
	// does not exist.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	GetAPIKey(ctx context.Context, workspaceID, id string) (APIKey, error)
	ListAPIKeys(ctx context.Context, workspaceID string) ([]APIKey, error)
	// RevokeAPIKey marks the key revoked at at. Revoking twice is ErrInvalidState.
	RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) error
	// LookupAPIKey authenticates: it finds the key with this hash that is not
	// revoked. This is the one read that takes no workspace id: the key is
	// what tells the server which workspace is calling. Unknown and revoked
	// keys are both ErrNotFound.
	LookupAPIKey(ctx context.Context, hash []byte) (APIKey, error)
}

// TokenStore keeps build tokens (atk_…), stored only as hashes.
type TokenStore interface {
	// CreateBuildToken inserts t. A zero t.CreatedAt is now; a zero
	// t.ExpiresAt is CreatedAt+DefaultTokenTTL; a lifetime over MaxTokenTTL
	// or not positive is ErrInvalid, so is an empty or unknown permission.
	// ErrNotFound if the subject is not in the workspace.
	CreateBuildToken(ctx context.Context, t *BuildToken) error
	GetBuildToken(ctx context.Context, workspaceID, id string) (BuildToken, error)
	// ListBuildTokens lists the tokens of a workspace, of one subject when
	// subjectID is not empty, newest first, including expired and revoked ones.
	ListBuildTokens(ctx context.Context, workspaceID, subjectID string) ([]BuildToken, error)
	// RevokeBuildToken marks the token revoked at at. ErrInvalidState if it
	// already is.
	RevokeBuildToken(ctx context.Context, workspaceID, id string, at time.Time) error
	// LookupBuildToken authenticates: the token with this hash that is
	// neither revoked nor expired at now. Everything else is ErrNotFound.
	// Like LookupAPIKey it takes no workspace id; the result carries it.
	LookupBuildToken(ctx context.Context, hash []byte, now time.Time) (BuildToken, error)
	// DeleteExpiredBuildTokens removes tokens of the workspace that expired
	// before before, and returns how many.
	DeleteExpiredBuildTokens(ctx context.Context, workspaceID string, before time.Time) (int64, error)
}

// SubjectStore keeps the host's customers.
type SubjectStore interface {
	// CreateSubject inserts s; s.ID is the host's own identifier for its
	// customer and is required. ErrConflict if it exists in the workspace.
	CreateSubject(ctx context.Context, s *Subject) error
	GetSubject(ctx context.Context, workspaceID, id string) (Subject, error)
	ListSubjects(ctx context.Context, workspaceID string) ([]Subject, error)
	// DeleteSubject removes the subject with its extensions, namespaces and tokens.
	DeleteSubject(ctx context.Context, workspaceID, id string) error
}

// ExtensionStore keeps extensions (one per namespace) and their versions, and
// enforces the version state machine:
//
//	pending_approval -> active | rejected
//	active -> disabled -> active                 (DisableExtension, EnableExtension)
//	active | disabled -> superseded              (when another version is approved or rolled back to)
//	superseded -> active                         (RollbackExtension)
//
// At most one version of an extension is active. Disallowed transitions are
// ErrInvalidState. Every transition returns the version it changed, so the
// caller can write the audit record in the same Transaction.
type ExtensionStore interface {
	// PushVersion stores a new version in pending_approval, creating the
	// extension (the namespace) on its first push. The version number is
	// the extension's latest plus one. ErrNotFound if the subject is not in
	// the workspace.
	PushVersion(ctx context.Context, p PushVersion) (ExtensionVersion, error)
	GetExtension(ctx context.Context, workspaceID, extensionID string) (Extension, error)
	GetExtensionByName(ctx context.Context, ns Namespace) (Extension, error)
	// ListExtensions lists the extensions of the workspace, or of one subject
	// when subjectID is not empty, ordered by subject and name.
	ListExtensions(ctx context.Context, workspaceID, subjectID string) ([]Extension, error)
	// DeleteExtension removes the extension, its versions, secrets and config.
	DeleteExtension(ctx context.Context, workspaceID, extensionID string) error

	// GetVersion returns one version without its module bytes.
	GetVersion(ctx context.Context, workspaceID, extensionID string, version int64) (ExtensionVersion, error)
	// ListVersions returns all versions, oldest first, without module bytes.
	ListVersions(ctx context.Context, workspaceID, extensionID string) ([]ExtensionVersion, error)
	// GetModule returns the module bytes of one version.
	GetModule(ctx context.Context, workspaceID, extensionID string, version int64) ([]byte, error)
	// ActiveVersion returns the active version; ErrNotFound when none is.
	ActiveVersion(ctx context.Context, workspaceID, extensionID string) (ExtensionVersion, error)

	// ApproveVersion activates a pending_approval version newer than the
	// extension's current one; the previously current version becomes
	// superseded.
	ApproveVersion(ctx context.Context, workspaceID, extensionID string, version int64, d Decision) (ExtensionVersion, error)
	// RejectVersion rejects a pending_approval version with d.Reason.
	RejectVersion(ctx context.Context, workspaceID, extensionID string, version int64, d Decision) (ExtensionVersion, error)
	// DisableExtension disables the active version.
	DisableExtension(ctx context.Context, workspaceID, extensionID string, d Decision) (ExtensionVersion, error)
	// EnableExtension re-activates the disabled current version.
	EnableExtension(ctx context.Context, workspaceID, extensionID string, d Decision) (ExtensionVersion, error)
	// RollbackExtension activates an approved version older than the current
	// one; the current one becomes superseded.
	RollbackExtension(ctx context.Context, workspaceID, extensionID string, toVersion int64, d Decision) (ExtensionVersion, error)
}

// SecretStore keeps namespace secrets as ciphertext only. Encryption
// (AES-256-GCM with the workspace data key) is the caller's; the store keeps
// exactly the nonce, ciphertext and key id it is given.
type SecretStore interface {
	// PutSecret creates or replaces a secret of the namespace.
	PutSecret(ctx context.Context, ns Namespace, s Secret) error
	GetSecret(ctx context.Context, ns Namespace, name string) (Secret, error)
	// ListSecrets returns names and update times only, ordered by name.
	ListSecrets(ctx context.Context, ns Namespace) ([]SecretInfo, error)
	DeleteSecret(ctx context.Context, ns Namespace, name string) error
}

// ConfigStore keeps namespace configuration (plain key/value).
type ConfigStore interface {
	// PutConfig creates or replaces an entry of the namespace; a zero
	// UpdatedAt means now.
	PutConfig(ctx context.Context, ns Namespace, e ConfigEntry) error
	GetConfig(ctx context.Context, ns Namespace, key string) (ConfigEntry, error)
	// ListConfig returns the entries ordered by key.
	ListConfig(ctx context.Context, ns Namespace) ([]ConfigEntry, error)
	DeleteConfig(ctx context.Context, ns Namespace, key string) error
}

// AuditStore keeps the append-only, per-workspace hash chain of audit records.
// There is no update or delete.
type AuditStore interface {
	// AppendAudit appends one record to the workspace's chain. Inside one
	// transaction that holds the workspace's chain lock, it reads the chain
	// head and calls build with a record carrying the workspace id and the
	// head's Seq and Hash (only the workspace id when the chain is empty);
	// build returns the new record with Seq = prev.Seq+1 and PrevHash =
	// prev.Hash and its own Hash (computed by the caller over PrevHash and
	// the fields). The store checks the link (ErrInvalid otherwise), inserts
	// it, moves the head to it and returns it. Concurrent appenders, in one
	// process or several, are serialized, so the chain never forks.
	AppendAudit(ctx context.Context, workspaceID string, build func(prev AuditRecord) (AuditRecord, error)) (AuditRecord, error)
	// ListAudit returns up to limit records with Seq > afterSeq, in Seq
	// order, exactly as stored (limit <= 0 means all).
	ListAudit(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]AuditRecord, error)
	// LastAudit returns the newest record; ErrNotFound when the chain is empty.
	LastAudit(ctx context.Context, workspaceID string) (AuditRecord, error)
	// AuditHead returns the chain head: the Seq and Hash of the last record
	// AppendAudit wrote, which the newest stored record must match;
	// ErrNotFound when nothing was ever appended.
	AuditHead(ctx context.Context, workspaceID string) (AuditHead, error)
}

// RegistryStore keeps the workspace's capability registry as an opaque,
// versioned JSON document with its digest.
type RegistryStore interface {
	// PushRegistry stores doc as the new current registry version and
	// returns it. If r.Digest equals the current version's digest, nothing
	// is stored and the current version is returned.
	PushRegistry(ctx context.Context, r Registry) (Registry, error)
	// CurrentRegistry returns the newest version; ErrNotFound if none.
	CurrentRegistry(ctx context.Context, workspaceID string) (Registry, error)
	GetRegistry(ctx context.Context, workspaceID string, version int64) (Registry, error)
	// ListRegistryVersions returns all versions, oldest first, without documents.
	ListRegistryVersions(ctx context.Context, workspaceID string) ([]Registry, error)
}

// DataKeyStore keeps per-workspace data keys wrapped by the master key.
type DataKeyStore interface {
	// CreateDataKey inserts k; it becomes the workspace's current data key.
	// Every data key of the store is wrapped by one master key: ErrConflict
	// if any is wrapped by another than k.MasterKeyID (a server still
	// running with a master key that was rotated away).
	CreateDataKey(ctx context.Context, k *DataKey) error
	GetDataKey(ctx context.Context, workspaceID, id string) (DataKey, error)
	// CurrentDataKey returns the newest data key; ErrNotFound if none.
	CurrentDataKey(ctx context.Context, workspaceID string) (DataKey, error)
	ListDataKeys(ctx context.Context, workspaceID string) ([]DataKey, error)
	// RewrapDataKey replaces the wrapped bytes after a master key rotation.
	RewrapDataKey(ctx context.Context, workspaceID, id string, wrapped []byte, masterKeyID string) error
	// MasterKeyIDs counts the data keys of every workspace by the id of the
	// master key that wraps them.
	MasterKeyIDs(ctx context.Context) (map[string]int64, error)
}

// AdminStore keeps the operator's admin credentials (the bootstrap
// credential of `forge server init`), stored only as hashes. They belong to
// no workspace.
type AdminStore interface {
	// CreateAdminCredential inserts c. An empty c.ID is filled with NewID();
	// a zero c.CreatedAt with now. ErrConflict if the hash is already known.
	CreateAdminCredential(ctx context.Context, c *AdminCredential) error
	// LookupAdminCredential authenticates: the credential with this hash that
	// is not revoked. Unknown and revoked ones are both ErrNotFound.
	LookupAdminCredential(ctx context.Context, hash []byte) (AdminCredential, error)
	// ListAdminCredentials lists all admin credentials, revoked ones
	// included, oldest first.
	ListAdminCredentials(ctx context.Context) ([]AdminCredential, error)
	// RevokeAdminCredentials revokes every valid admin credential at at and
	// returns how many it revoked.
	RevokeAdminCredentials(ctx context.Context, at time.Time) (int64, error)
}
