package client

import (
	"encoding/json"
	"time"
)

// The request and response types mirror the schemas of the OpenAPI
// document (GET /v1/openapi.json).

// CredentialKind is the kind of a credential, named as audit records name
// their actors ("api-key:<id>").
type CredentialKind string

// The kinds of credentials that authenticate requests.
const (
	CredentialAdmin      CredentialKind = "admin"       // adm_…, the operator's
	CredentialAPIKey     CredentialKind = "api-key"     // cwa_…, a workspace API key
	CredentialBuildToken CredentialKind = "build-token" // atk_…, one subject's build token
)

// Caller describes the credential a client authenticates with (never the
// credential itself).
type Caller struct {
	Kind CredentialKind `json:"kind"`
	// CredentialID is the credential's store id: the id of the API key or
	// build token in the listings, the actor's id in audit records.
	CredentialID string `json:"credentialId"`
	// Workspace is the credential's workspace id; empty for the admin
	// credential.
	Workspace string `json:"workspace,omitempty"`
	// Subject is the one subject a build token acts for; empty otherwise.
	Subject string `json:"subject,omitempty"`
	// Permissions are what the credential may do in its workspace (an API
	// key holds all three); nil for the admin credential, which manages
	// workspaces only.
	Permissions []Permission `json:"permissions,omitempty"`
	// ExpiresAt is when a build token stops working; nil for credentials
	// that do not expire.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// Workspace is a host: the multi-tenancy boundary.
type Workspace struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// CreatedWorkspace is a new workspace with its first API key and its
// signing secret, both shown only once.
type CreatedWorkspace struct {
	Workspace     Workspace `json:"workspace"`
	APIKey        string    `json:"apiKey"`
	SigningSecret string    `json:"signingSecret"`
}

// APIKey describes a workspace API key (never the key itself).
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// CreatedAPIKey is a new API key; APIKey (cwa_…) is shown only once.
type CreatedAPIKey struct {
	Key    APIKey `json:"key"`
	APIKey string `json:"apiKey"`
}

// SigningSecretRotation is the result of a rotation: the new signing
// secret (cws_…, shown once) and until when the previous one stays valid.
type SigningSecretRotation struct {
	Version           int64      `json:"version"`
	SigningSecret     string     `json:"signingSecret"`
	PreviousExpiresAt *time.Time `json:"previousExpiresAt,omitempty"`
}

// EventType is an event the host emits, which extensions may trigger on.
type EventType struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// RegistryPush is a capability registry: index.json and the capability
// files it names, by file name.
type RegistryPush struct {
	Index json.RawMessage   `json:"index"`
	Files map[string]string `json:"files"`
}

// RegistryInfo describes a registry version.
type RegistryInfo struct {
	Version      int64     `json:"version"`
	Digest       string    `json:"digest"`
	PushedBy     string    `json:"pushedBy,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	Sources      int       `json:"sources"`
	Capabilities int       `json:"capabilities"`
}

// RegistryDocument is the current registry with its content.
type RegistryDocument struct {
	RegistryInfo
	Index json.RawMessage   `json:"index"`
	Files map[string]string `json:"files"`
}

// Subject is one of the host's customers.
type Subject struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName"`
	CreatedAt   time.Time `json:"createdAt"`
}

// CreateSubjectRequest creates a subject; ID is the host's own customer id.
type CreateSubjectRequest struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
}

// Permission is a build-token permission.
type Permission string

// The permissions of build tokens. A workspace API key holds all three.
const (
	PermissionBuild  Permission = "build"  // push extensions
	PermissionRead   Permission = "read"   // read extensions, versions, secret names, config
	PermissionManage Permission = "manage" // set secrets and config
)

// BuildToken describes a build token (never the token itself).
type BuildToken struct {
	ID          string       `json:"id"`
	Subject     string       `json:"subject"`
	Permissions []Permission `json:"permissions"`
	CreatedAt   time.Time    `json:"createdAt"`
	ExpiresAt   time.Time    `json:"expiresAt"`
	RevokedAt   *time.Time   `json:"revokedAt,omitempty"`
}

// CreateBuildTokenRequest mints a build token for one subject. TTL is a Go
// duration ("30m"); empty is the server's default (1h), at most 24h.
type CreateBuildTokenRequest struct {
	Subject     string       `json:"subject"`
	Permissions []Permission `json:"permissions"`
	TTL         string       `json:"ttl,omitempty"`
}

// CreatedBuildToken is a new build token; BuildToken (atk_…) is shown only
// once.
type CreatedBuildToken struct {
	Token      BuildToken `json:"token"`
	BuildToken string     `json:"buildToken"`
}

// PushExtensionRequest is a built extension: the manifest text
// (extension.yaml), the WebAssembly module and the build record
// (build.json).
type PushExtensionRequest struct {
	Manifest string          `json:"manifest"`
	Module   []byte          `json:"module"` // base64 on the wire
	Record   json.RawMessage `json:"record"`
}

// PushExtensionResponse is the pushed version, pending approval, with the
// warnings validation found.
type PushExtensionResponse struct {
	Extension   Extension        `json:"extension"`
	Version     ExtensionVersion `json:"version"`
	Diagnostics []Diagnostic     `json:"diagnostics,omitempty"`
}

// VersionState is the state of an extension version.
type VersionState string

// The states of a version.
const (
	StatePendingApproval VersionState = "pending_approval"
	StateActive          VersionState = "active"
	StateRejected        VersionState = "rejected"
	StateDisabled        VersionState = "disabled"
	StateSuperseded      VersionState = "superseded"
)

// Extension is one extension of a subject.
type Extension struct {
	ID             string       `json:"id"`
	Subject        string       `json:"subject"`
	Name           string       `json:"name"`
	LatestVersion  int64        `json:"latestVersion"`
	CurrentVersion int64        `json:"currentVersion"`
	CurrentState   VersionState `json:"currentState,omitempty"`
	CreatedAt      time.Time    `json:"createdAt"`
	UpdatedAt      time.Time    `json:"updatedAt"`
}

// ExtensionVersion is one pushed version of an extension.
type ExtensionVersion struct {
	Version      int64        `json:"version"`
	State        VersionState `json:"state"`
	ModuleDigest string       `json:"moduleDigest"`
	ModuleSize   int64        `json:"moduleSize"`
	CreatedBy    string       `json:"createdBy"`
	CreatedAt    time.Time    `json:"createdAt"`
	ApprovedBy   string       `json:"approvedBy,omitempty"`
	ApprovedAt   *time.Time   `json:"approvedAt,omitempty"`
	RejectedBy   string       `json:"rejectedBy,omitempty"`
	RejectedAt   *time.Time   `json:"rejectedAt,omitempty"`
	RejectReason string       `json:"rejectReason,omitempty"`
	UpdatedAt    *time.Time   `json:"updatedAt,omitempty"`
}

// ExtensionVersionDetail is a version with its manifest and build record,
// for review.
type ExtensionVersionDetail struct {
	ExtensionVersion
	Manifest string          `json:"manifest"`
	Record   json.RawMessage `json:"record"`
}

// SecretInfo names a secret; values are write-only.
type SecretInfo struct {
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ConfigEntry is one config value of a namespace.
type ConfigEntry struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// AuditRecord is one record of the workspace's tamper-evident log.
type AuditRecord struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Target   string          `json:"target"`
	Details  json.RawMessage `json:"details,omitempty"`
	PrevHash []byte          `json:"prevHash,omitempty"`
	Hash     []byte          `json:"hash"`
}

// AuditPage is a page of audit records. Next, when not zero, is the
// after value of the next page.
type AuditPage struct {
	Records []AuditRecord `json:"records"`
	Next    int64         `json:"next,omitempty"`
}

// AuditVerification is the verdict on the audit hash chain.
type AuditVerification struct {
	OK      bool         `json:"ok"`
	Records int64        `json:"records"`
	Broken  *AuditBroken `json:"broken,omitempty"`
}

// AuditBroken names the first record that does not verify.
type AuditBroken struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}
