package store

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Token lifetimes (invariant 6).
const (
	DefaultTokenTTL = time.Hour
	MaxTokenTTL     = 24 * time.Hour
)

// NewID returns a new random identifier: 16 bytes from crypto/rand as 32
// lowercase hex digits. The store uses it for every id the caller leaves empty.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}

// Workspace is a host: the multi-tenancy boundary.
type Workspace struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// EventType is one event type a workspace declares for triggers.
type EventType struct {
	Name        string
	Description string
	// Schema is an optional JSON Schema document, stored verbatim.
	Schema []byte
}

// SigningSecret is one version of the workspace signing secret (cws_…),
// encrypted by the caller.
type SigningSecret struct {
	Version    int64
	KeyID      string // the data key that encrypted it
	Nonce      []byte
	Ciphertext []byte
	CreatedAt  time.Time
	// ExpiresAt is zero for the current secret; for the previous one it is
	// the end of the rotation overlap window.
	ExpiresAt time.Time
}

// Current reports whether s is the current secret (not an expiring previous one).
func (s SigningSecret) Current() bool { return s.ExpiresAt.IsZero() }

// APIKey is a workspace API key (cwa_…). Only its hash is stored.
type APIKey struct {
	ID          string
	WorkspaceID string
	Name        string
	// Prefix is a short, non-secret part of the key shown in listings.
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Permission is one right a build token grants.
type Permission string

// The permissions a build token may carry.
const (
	PermBuild  Permission = "build"
	PermManage Permission = "manage"
	PermRead   Permission = "read"
)

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool {
	switch p {
	case PermBuild, PermManage, PermRead:
		return true
	}
	return false
}

// BuildToken is a short-lived token (atk_…) for one subject. Only its hash is
// stored.
type BuildToken struct {
	ID          string
	WorkspaceID string
	SubjectID   string
	Permissions []Permission // sorted, without duplicates
	Hash        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   time.Time // zero while valid
}

// Valid reports whether the token is neither revoked nor expired at now.
func (t BuildToken) Valid(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// Has reports whether the token grants p.
func (t BuildToken) Has(p Permission) bool {
	for _, q := range t.Permissions {
		if q == p {
			return true
		}
	}
	return false
}

// Subject is one of the host's customers.
type Subject struct {
	ID          string // the host's own identifier, unique in the workspace
	WorkspaceID string
	DisplayName string
	CreatedAt   time.Time
}

// Namespace is workspace/subject/extension: the only scope of secrets,
// config, state, triggers and tokens.
type Namespace struct {
	WorkspaceID string
	SubjectID   string
	Extension   string // extension name
}

// String returns "workspace/subject/extension".
func (n Namespace) String() string {
	return n.WorkspaceID + "/" + n.SubjectID + "/" + n.Extension
}

// VersionState is the lifecycle state of one extension version.
type VersionState string

// Version states. See ExtensionStore for the allowed transitions.
const (
	StatePending    VersionState = "pending_approval"
	StateActive     VersionState = "active"
	StateRejected   VersionState = "rejected"
	StateDisabled   VersionState = "disabled"
	StateSuperseded VersionState = "superseded"
)

// Extension is the extension of one namespace; its code lives in versions.
type Extension struct {
	ID          string
	WorkspaceID string
	SubjectID   string
	Name        string
	// LatestVersion is the newest pushed version.
	LatestVersion int64
	// CurrentVersion is the version last activated (approved, enabled or
	// rolled back to); 0 if none ever was. CurrentState is its state
	// (active or disabled), empty if none.
	CurrentVersion int64
	CurrentState   VersionState
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Namespace returns the extension's namespace.
func (e Extension) Namespace() Namespace {
	return Namespace{WorkspaceID: e.WorkspaceID, SubjectID: e.SubjectID, Extension: e.Name}
}

// Active reports whether a version of the extension is active.
func (e Extension) Active() bool { return e.CurrentState == StateActive }

// PushVersion is the input of ExtensionStore.PushVersion.
type PushVersion struct {
	Namespace    Namespace
	Manifest     []byte // JSON, stored verbatim
	Module       []byte // WebAssembly bytes; the caller caps the size
	ModuleDigest string
	BuildRecord  []byte // JSON, stored verbatim
	CreatedBy    string
	CreatedAt    time.Time // zero means now
}

// ExtensionVersion is one immutable version of an extension, with its
// lifecycle state. Module bytes are only returned by GetModule.
type ExtensionVersion struct {
	ID           string
	WorkspaceID  string
	ExtensionID  string
	Version      int64
	State        VersionState
	Manifest     []byte
	ModuleDigest string
	ModuleSize   int64
	BuildRecord  []byte
	CreatedBy    string
	CreatedAt    time.Time
	// ApprovedBy/ApprovedAt are set once, by ApproveVersion.
	ApprovedBy string
	ApprovedAt time.Time
	// RejectedBy/RejectedAt/RejectReason are set by RejectVersion.
	RejectedBy   string
	RejectedAt   time.Time
	RejectReason string
	UpdatedAt    time.Time
}

// Approved reports whether the version was ever approved.
func (v ExtensionVersion) Approved() bool { return !v.ApprovedAt.IsZero() }

// Decision describes who made a lifecycle change, when, and why.
type Decision struct {
	Actor  string
	At     time.Time // zero means now
	Reason string    // required by RejectVersion
}

// Secret is a namespace secret as stored: ciphertext only.
type Secret struct {
	Name       string
	KeyID      string // the data key that encrypted it
	Nonce      []byte
	Ciphertext []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time // zero means now on PutSecret
}

// SecretInfo is what listing secrets shows.
type SecretInfo struct {
	Name      string
	UpdatedAt time.Time
}

// ConfigEntry is one namespace configuration value.
type ConfigEntry struct {
	Key       string
	Value     string
	UpdatedAt time.Time
}

// AuditRecord is one link of a workspace's audit chain. The store keeps the
// fields exactly as given; Hash and PrevHash are computed by the caller.
type AuditRecord struct {
	WorkspaceID string
	Seq         int64 // 1, 2, 3, … per workspace
	Time        time.Time
	Actor       string
	Action      string
	Target      string
	Details     []byte // JSON, stored verbatim
	PrevHash    []byte // Hash of record Seq-1; empty for Seq 1
	Hash        []byte
}

// AuditHead is the head of a workspace's audit chain: the Seq and Hash of
// the last record appended, kept apart from the records so that removing
// the newest records is detected.
type AuditHead struct {
	Seq  int64
	Hash []byte
}

// Registry is one version of a workspace's capability registry.
type Registry struct {
	WorkspaceID string
	Version     int64
	Digest      string
	Document    []byte // opaque JSON, stored verbatim; empty in listings
	PushedBy    string
	CreatedAt   time.Time
}

// DataKey is a workspace data key wrapped by the master key.
type DataKey struct {
	ID          string
	WorkspaceID string
	Wrapped     []byte
	MasterKeyID string
	CreatedAt   time.Time
}

// AdminCredential is an operator credential of the server. Only its hash is
// stored.
type AdminCredential struct {
	ID        string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
}

// Revoked reports whether the credential was revoked.
func (c AdminCredential) Revoked() bool { return !c.RevokedAt.IsZero() }
