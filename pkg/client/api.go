package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// --- public ---------------------------------------------------------------

// Health checks that the server is alive (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, nil, http.StatusOK)
}

// Ready checks that the server and its database answer (GET /readyz).
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/readyz", nil, nil, nil, http.StatusOK)
}

// OpenAPI returns the server's OpenAPI document (GET /v1/openapi.json).
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return c.doRaw(ctx, http.MethodGet, "/v1/openapi.json", nil, nil, http.StatusOK)
}

// --- the caller -------------------------------------------------------------

// WhoAmI describes the client's credential (GET /v1/whoami): its kind, id,
// workspace and, for a build token, subject, permissions and expiry. Any
// valid credential may call it; an unknown, revoked or expired one is
// ErrUnauthorized.
func (c *Client) WhoAmI(ctx context.Context) (*Caller, error) {
	var out Caller
	err := c.do(ctx, http.MethodGet, "/v1/whoami", nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// --- workspaces -------------------------------------------------------------

// CreateWorkspace creates a workspace (admin credential).
func (c *Client) CreateWorkspace(ctx context.Context, name string) (*CreatedWorkspace, error) {
	var out CreatedWorkspace
	err := c.do(ctx, http.MethodPost, "/v1/workspaces", nil, map[string]string{"name": name}, &out, http.StatusCreated)
	return ptr(&out, err)
}

// ListWorkspaces lists the workspaces (admin credential).
func (c *Client) ListWorkspaces(ctx context.Context) ([]Workspace, error) {
	var out struct {
		Workspaces []Workspace `json:"workspaces"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/workspaces", nil, nil, &out, http.StatusOK)
	return out.Workspaces, err
}

// GetWorkspace returns a workspace.
func (c *Client) GetWorkspace(ctx context.Context, ws string) (*Workspace, error) {
	var out Workspace
	err := c.do(ctx, http.MethodGet, wsPath(ws), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// CreateAPIKey creates a workspace API key.
func (c *Client) CreateAPIKey(ctx context.Context, ws, name string) (*CreatedAPIKey, error) {
	var out CreatedAPIKey
	err := c.do(ctx, http.MethodPost, wsPath(ws, "keys"), nil, map[string]string{"name": name}, &out, http.StatusCreated)
	return ptr(&out, err)
}

// ListAPIKeys lists the workspace's API keys, revoked ones included.
func (c *Client) ListAPIKeys(ctx context.Context, ws string) ([]APIKey, error) {
	var out struct {
		Keys []APIKey `json:"keys"`
	}
	err := c.do(ctx, http.MethodGet, wsPath(ws, "keys"), nil, nil, &out, http.StatusOK)
	return out.Keys, err
}

// RevokeAPIKey revokes an API key; it stops working on the next request.
func (c *Client) RevokeAPIKey(ctx context.Context, ws, keyID string) error {
	return c.do(ctx, http.MethodDelete, wsPath(ws, "keys", keyID), nil, nil, nil, http.StatusNoContent)
}

// RotateSigningSecret replaces the workspace's signing secret. The
// previous one stays valid until PreviousExpiresAt.
func (c *Client) RotateSigningSecret(ctx context.Context, ws string) (*SigningSecretRotation, error) {
	var out SigningSecretRotation
	err := c.do(ctx, http.MethodPost, wsPath(ws, "signing-secret", "rotate"), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// SetEventTypes replaces the event types the host emits.
func (c *Client) SetEventTypes(ctx context.Context, ws string, types []EventType) ([]EventType, error) {
	if types == nil {
		types = []EventType{}
	}
	var out struct {
		Types []EventType `json:"types"`
	}
	err := c.do(ctx, http.MethodPut, wsPath(ws, "events"), nil, map[string]any{"types": types}, &out, http.StatusOK)
	return out.Types, err
}

// ListEventTypes lists the event types.
func (c *Client) ListEventTypes(ctx context.Context, ws string) ([]EventType, error) {
	var out struct {
		Types []EventType `json:"types"`
	}
	err := c.do(ctx, http.MethodGet, wsPath(ws, "events"), nil, nil, &out, http.StatusOK)
	return out.Types, err
}

// --- registry ---------------------------------------------------------------

// PushRegistry pushes the project's capability registry. Pushing the
// current registry again stores nothing and returns its version.
func (c *Client) PushRegistry(ctx context.Context, ws string, reg RegistryPush) (*RegistryInfo, error) {
	if reg.Files == nil {
		reg.Files = map[string]string{}
	}
	var out RegistryInfo
	err := c.do(ctx, http.MethodPut, wsPath(ws, "registry"), nil, reg, &out, http.StatusOK)
	return ptr(&out, err)
}

// GetRegistry returns the current registry with its content.
func (c *Client) GetRegistry(ctx context.Context, ws string) (*RegistryDocument, error) {
	var out RegistryDocument
	err := c.do(ctx, http.MethodGet, wsPath(ws, "registry"), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// --- subjects and build tokens ------------------------------------------------

// CreateSubject creates a subject.
func (c *Client) CreateSubject(ctx context.Context, ws string, req CreateSubjectRequest) (*Subject, error) {
	var out Subject
	err := c.do(ctx, http.MethodPost, wsPath(ws, "subjects"), nil, req, &out, http.StatusCreated)
	return ptr(&out, err)
}

// ListSubjects lists the workspace's subjects.
func (c *Client) ListSubjects(ctx context.Context, ws string) ([]Subject, error) {
	var out struct {
		Subjects []Subject `json:"subjects"`
	}
	err := c.do(ctx, http.MethodGet, wsPath(ws, "subjects"), nil, nil, &out, http.StatusOK)
	return out.Subjects, err
}

// GetSubject returns a subject.
func (c *Client) GetSubject(ctx context.Context, ws, subject string) (*Subject, error) {
	var out Subject
	err := c.do(ctx, http.MethodGet, wsPath(ws, "subjects", subject), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// DeleteSubject deletes a subject with its extensions, namespaces and
// tokens.
func (c *Client) DeleteSubject(ctx context.Context, ws, subject string) error {
	return c.do(ctx, http.MethodDelete, wsPath(ws, "subjects", subject), nil, nil, nil, http.StatusNoContent)
}

// CreateBuildToken mints a build token for one subject.
func (c *Client) CreateBuildToken(ctx context.Context, ws string, req CreateBuildTokenRequest) (*CreatedBuildToken, error) {
	var out CreatedBuildToken
	err := c.do(ctx, http.MethodPost, wsPath(ws, "tokens"), nil, req, &out, http.StatusCreated)
	return ptr(&out, err)
}

// ListBuildTokens lists build tokens, newest first, expired and revoked
// ones included; a non-empty subject keeps only that subject's.
func (c *Client) ListBuildTokens(ctx context.Context, ws, subject string) ([]BuildToken, error) {
	var q url.Values
	if subject != "" {
		q = url.Values{"subject": {subject}}
	}
	var out struct {
		Tokens []BuildToken `json:"tokens"`
	}
	err := c.do(ctx, http.MethodGet, wsPath(ws, "tokens"), q, nil, &out, http.StatusOK)
	return out.Tokens, err
}

// RevokeBuildToken revokes a build token; it stops working on the next
// request.
func (c *Client) RevokeBuildToken(ctx context.Context, ws, tokenID string) error {
	return c.do(ctx, http.MethodDelete, wsPath(ws, "tokens", tokenID), nil, nil, nil, http.StatusNoContent)
}

// --- extensions -----------------------------------------------------------------

// PushExtension pushes a built extension for a subject; the new version is
// pending approval. When validation fails, the error is an *APIError
// (status 422) whose Diagnostics say what is wrong and where.
func (c *Client) PushExtension(ctx context.Context, ws, subject string, req PushExtensionRequest) (*PushExtensionResponse, error) {
	var out PushExtensionResponse
	err := c.do(ctx, http.MethodPost, wsPath(ws, "subjects", subject, "extensions"), nil, req, &out, http.StatusCreated)
	return ptr(&out, err)
}

// ListExtensions lists a subject's extensions.
func (c *Client) ListExtensions(ctx context.Context, ws, subject string) ([]Extension, error) {
	var out struct {
		Extensions []Extension `json:"extensions"`
	}
	err := c.do(ctx, http.MethodGet, wsPath(ws, "subjects", subject, "extensions"), nil, nil, &out, http.StatusOK)
	return out.Extensions, err
}

// GetExtension returns one extension.
func (c *Client) GetExtension(ctx context.Context, ws, subject, name string) (*Extension, error) {
	var out Extension
	err := c.do(ctx, http.MethodGet, extPath(ws, subject, name), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// ListVersions lists an extension's versions, oldest first.
func (c *Client) ListVersions(ctx context.Context, ws, subject, name string) ([]ExtensionVersion, error) {
	var out struct {
		Versions []ExtensionVersion `json:"versions"`
	}
	err := c.do(ctx, http.MethodGet, extPath(ws, subject, name, "versions"), nil, nil, &out, http.StatusOK)
	return out.Versions, err
}

// GetVersion returns one version with its manifest and build record.
func (c *Client) GetVersion(ctx context.Context, ws, subject, name string, version int64) (*ExtensionVersionDetail, error) {
	var out ExtensionVersionDetail
	err := c.do(ctx, http.MethodGet, extPath(ws, subject, name, "versions", itoa(version)), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// ApproveVersion approves a pending version; it becomes the active one.
func (c *Client) ApproveVersion(ctx context.Context, ws, subject, name string, version int64) (*ExtensionVersion, error) {
	return c.transition(ctx, extPath(ws, subject, name, "versions", itoa(version), "approve"), nil)
}

// RejectVersion rejects a pending version, with a reason.
func (c *Client) RejectVersion(ctx context.Context, ws, subject, name string, version int64, reason string) (*ExtensionVersion, error) {
	return c.transition(ctx, extPath(ws, subject, name, "versions", itoa(version), "reject"), map[string]string{"reason": reason})
}

// DisableExtension disables the active version.
func (c *Client) DisableExtension(ctx context.Context, ws, subject, name string) (*ExtensionVersion, error) {
	return c.transition(ctx, extPath(ws, subject, name, "disable"), nil)
}

// EnableExtension enables the disabled current version.
func (c *Client) EnableExtension(ctx context.Context, ws, subject, name string) (*ExtensionVersion, error) {
	return c.transition(ctx, extPath(ws, subject, name, "enable"), nil)
}

// RollbackExtension activates an older, previously approved version.
func (c *Client) RollbackExtension(ctx context.Context, ws, subject, name string, version int64) (*ExtensionVersion, error) {
	return c.transition(ctx, extPath(ws, subject, name, "rollback"), map[string]int64{"version": version})
}

func (c *Client) transition(ctx context.Context, path string, body any) (*ExtensionVersion, error) {
	var out ExtensionVersion
	err := c.do(ctx, http.MethodPost, path, nil, body, &out, http.StatusOK)
	return ptr(&out, err)
}

// --- namespace secrets and config --------------------------------------------------

// ListSecrets lists the names of a namespace's secrets; values are
// write-only.
func (c *Client) ListSecrets(ctx context.Context, ws, subject, name string) ([]SecretInfo, error) {
	var out struct {
		Secrets []SecretInfo `json:"secrets"`
	}
	err := c.do(ctx, http.MethodGet, extPath(ws, subject, name, "secrets"), nil, nil, &out, http.StatusOK)
	return out.Secrets, err
}

// PutSecret sets a secret of a namespace. The value is encrypted at rest
// and never returned.
func (c *Client) PutSecret(ctx context.Context, ws, subject, name, secret, value string) (*SecretInfo, error) {
	var out SecretInfo
	err := c.do(ctx, http.MethodPut, extPath(ws, subject, name, "secrets", secret), nil, map[string]string{"value": value}, &out, http.StatusOK)
	return ptr(&out, err)
}

// DeleteSecret deletes a secret.
func (c *Client) DeleteSecret(ctx context.Context, ws, subject, name, secret string) error {
	return c.do(ctx, http.MethodDelete, extPath(ws, subject, name, "secrets", secret), nil, nil, nil, http.StatusNoContent)
}

// ListConfig lists a namespace's config entries.
func (c *Client) ListConfig(ctx context.Context, ws, subject, name string) ([]ConfigEntry, error) {
	var out struct {
		Config []ConfigEntry `json:"config"`
	}
	err := c.do(ctx, http.MethodGet, extPath(ws, subject, name, "config"), nil, nil, &out, http.StatusOK)
	return out.Config, err
}

// GetConfig returns one config entry.
func (c *Client) GetConfig(ctx context.Context, ws, subject, name, key string) (*ConfigEntry, error) {
	var out ConfigEntry
	err := c.do(ctx, http.MethodGet, extPath(ws, subject, name, "config", key), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// PutConfig sets a config entry.
func (c *Client) PutConfig(ctx context.Context, ws, subject, name, key, value string) (*ConfigEntry, error) {
	var out ConfigEntry
	err := c.do(ctx, http.MethodPut, extPath(ws, subject, name, "config", key), nil, map[string]string{"value": value}, &out, http.StatusOK)
	return ptr(&out, err)
}

// DeleteConfig deletes a config entry.
func (c *Client) DeleteConfig(ctx context.Context, ws, subject, name, key string) error {
	return c.do(ctx, http.MethodDelete, extPath(ws, subject, name, "config", key), nil, nil, nil, http.StatusNoContent)
}

// --- audit -----------------------------------------------------------------------

// ListAudit returns audit records with a sequence number above after, at
// most limit of them (0 is the server's default, 100; at most 1000).
func (c *Client) ListAudit(ctx context.Context, ws string, after int64, limit int) (*AuditPage, error) {
	q := url.Values{}
	if after > 0 {
		q.Set("after", itoa(after))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out AuditPage
	err := c.do(ctx, http.MethodGet, wsPath(ws, "audit"), q, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

// VerifyAudit verifies the workspace's audit hash chain. A broken chain is
// not an error: the result says which record breaks it.
func (c *Client) VerifyAudit(ctx context.Context, ws string) (*AuditVerification, error) {
	var out AuditVerification
	err := c.do(ctx, http.MethodGet, wsPath(ws, "audit", "verify"), nil, nil, &out, http.StatusOK)
	return ptr(&out, err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ptr returns p, or nil with err.
func ptr[T any](p *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}
