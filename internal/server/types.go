package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/forgehq/forge/internal/store"
)

// The JSON shapes of the API, as the OpenAPI document describes them.

type workspaceJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

func workspaceOf(w store.Workspace) workspaceJSON {
	return workspaceJSON{ID: w.ID, Name: w.Name, CreatedAt: w.CreatedAt}
}

type apiKeyJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

func apiKeyOf(k store.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt, RevokedAt: optTime(k.RevokedAt)}
}

type subjectJSON struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName"`
	CreatedAt   time.Time `json:"createdAt"`
}

func subjectOf(s store.Subject) subjectJSON {
	return subjectJSON{ID: s.ID, DisplayName: s.DisplayName, CreatedAt: s.CreatedAt}
}

type buildTokenJSON struct {
	ID          string             `json:"id"`
	Subject     string             `json:"subject"`
	Permissions []store.Permission `json:"permissions"`
	CreatedAt   time.Time          `json:"createdAt"`
	ExpiresAt   time.Time          `json:"expiresAt"`
	RevokedAt   *time.Time         `json:"revokedAt,omitempty"`
}

func buildTokenOf(t store.BuildToken) buildTokenJSON {
	return buildTokenJSON{
		ID: t.ID, Subject: t.SubjectID, Permissions: t.Permissions, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, RevokedAt: optTime(t.RevokedAt),
	}
}

type eventTypeJSON struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type extensionJSON struct {
	ID             string             `json:"id"`
	Subject        string             `json:"subject"`
	Name           string             `json:"name"`
	LatestVersion  int64              `json:"latestVersion"`
	CurrentVersion int64              `json:"currentVersion"`
	CurrentState   store.VersionState `json:"currentState,omitempty"`
	CreatedAt      time.Time          `json:"createdAt"`
	UpdatedAt      time.Time          `json:"updatedAt"`
}

func extensionOf(e store.Extension) extensionJSON {
	return extensionJSON{
		ID: e.ID, Subject: e.SubjectID, Name: e.Name, LatestVersion: e.LatestVersion,
		CurrentVersion: e.CurrentVersion, CurrentState: e.CurrentState, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

type versionJSON struct {
	Version      int64              `json:"version"`
	State        store.VersionState `json:"state"`
	ModuleDigest string             `json:"moduleDigest"`
	ModuleSize   int64              `json:"moduleSize"`
	CreatedBy    string             `json:"createdBy"`
	CreatedAt    time.Time          `json:"createdAt"`
	ApprovedBy   string             `json:"approvedBy,omitempty"`
	ApprovedAt   *time.Time         `json:"approvedAt,omitempty"`
	RejectedBy   string             `json:"rejectedBy,omitempty"`
	RejectedAt   *time.Time         `json:"rejectedAt,omitempty"`
	RejectReason string             `json:"rejectReason,omitempty"`
	UpdatedAt    *time.Time         `json:"updatedAt,omitempty"`
}

func versionOf(v store.ExtensionVersion) versionJSON {
	return versionJSON{
		Version: v.Version, State: v.State, ModuleDigest: v.ModuleDigest, ModuleSize: v.ModuleSize,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, ApprovedBy: v.ApprovedBy, ApprovedAt: optTime(v.ApprovedAt),
		RejectedBy: v.RejectedBy, RejectedAt: optTime(v.RejectedAt), RejectReason: v.RejectReason, UpdatedAt: optTime(v.UpdatedAt),
	}
}

type versionDetailJSON struct {
	versionJSON
	Manifest string          `json:"manifest"`
	Record   json.RawMessage `json:"record"`
}

type secretInfoJSON struct {
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type configEntryJSON struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type auditRecordJSON struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Target   string          `json:"target"`
	Details  json.RawMessage `json:"details,omitempty"`
	PrevHash []byte          `json:"prevHash,omitempty"`
	Hash     []byte          `json:"hash"`
}

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
