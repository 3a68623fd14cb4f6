package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/pkg/client"
)

// The JSON shapes of the API, as the OpenAPI document describes them, are
// the public client's types: one definition for both ends of the wire.

type callerJSON = client.Caller

// callerOf describes principal p: permissions are absent for the admin
// credential, all of them for an API key without a list.
func callerOf(p auth.Principal) callerJSON {
	out := callerJSON{Kind: client.CredentialKind(p.Kind), CredentialID: p.CredentialID, Workspace: p.WorkspaceID, ExpiresAt: optTime(p.ExpiresAt)}
	switch p.Kind {
	case auth.KindAPIKey:
		perms := p.Permissions
		if len(perms) == 0 {
			perms = auth.AllPermissions()
		}
		out.Permissions = permissionsOf(perms)
	case auth.KindBuildToken:
		out.Subject = p.SubjectID
		out.Permissions = permissionsOf(p.Permissions)
	}
	return out
}

type workspaceJSON = client.Workspace

func workspaceOf(w store.Workspace) workspaceJSON {
	return workspaceJSON{ID: w.ID, Name: w.Name, CreatedAt: w.CreatedAt}
}

type apiKeyJSON = client.APIKey

func apiKeyOf(k store.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt, RevokedAt: optTime(k.RevokedAt)}
}

type subjectJSON = client.Subject

func subjectOf(s store.Subject) subjectJSON {
	return subjectJSON{ID: s.ID, DisplayName: s.DisplayName, CreatedAt: s.CreatedAt}
}

type buildTokenJSON = client.BuildToken

func buildTokenOf(t store.BuildToken) buildTokenJSON {
	return buildTokenJSON{
		ID: t.ID, Subject: t.SubjectID, Permissions: permissionsOf(t.Permissions), CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, RevokedAt: optTime(t.RevokedAt),
	}
}

type eventTypeJSON = client.EventType

type extensionJSON = client.Extension

func extensionOf(e store.Extension) extensionJSON {
	return extensionJSON{
		ID: e.ID, Subject: e.SubjectID, Name: e.Name, LatestVersion: e.LatestVersion,
		CurrentVersion: e.CurrentVersion, CurrentState: client.VersionState(e.CurrentState), CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

type versionJSON = client.ExtensionVersion

func versionOf(v store.ExtensionVersion) versionJSON {
	return versionJSON{
		Version: v.Version, State: client.VersionState(v.State), ModuleDigest: v.ModuleDigest, ModuleSize: v.ModuleSize,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, ApprovedBy: v.ApprovedBy, ApprovedAt: optTime(v.ApprovedAt),
		RejectedBy: v.RejectedBy, RejectedAt: optTime(v.RejectedAt), RejectReason: v.RejectReason, UpdatedAt: optTime(v.UpdatedAt),
	}
}

type versionDetailJSON = client.ExtensionVersionDetail

type secretInfoJSON = client.SecretInfo

type configEntryJSON = client.ConfigEntry

type auditRecordJSON = client.AuditRecord

func auditRecordOf(a store.AuditRecord) auditRecordJSON {
	r := auditRecordJSON{
		Seq: a.Seq, Time: a.Time, Actor: a.Actor, Action: a.Action, Target: a.Target,
		PrevHash: a.PrevHash, Hash: a.Hash,
	}
	if json.Valid(a.Details) {
		r.Details = a.Details
	}
	return r
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// orEmpty makes nil slices encode as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// jsonUnmarshalStrict decodes b into v, rejecting unknown fields.
func jsonUnmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func permissionsOf(ps []store.Permission) []client.Permission {
	out := make([]client.Permission, len(ps))
	for i, p := range ps {
		out[i] = client.Permission(p)
	}
	return out
}
