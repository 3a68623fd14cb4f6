package auth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/forgehq/forge/internal/store"
)

// Permission is one right a credential grants. It is the store's type, so a
// build token's permissions carry over without conversion.
type Permission = store.Permission

// The permissions.
const (
	PermBuild  = store.PermBuild  // run build sessions, dispatch capabilities, push versions
	PermManage = store.PermManage // approve, reject, disable; manage secrets, config, tokens
	PermRead   = store.PermRead   // read extensions, versions, the registry, the audit log
)

// AllPermissions returns every permission, sorted.
func AllPermissions() []Permission { return []Permission{PermBuild, PermManage, PermRead} }

// ParsePermissions parses permission names into a sorted list without
// duplicates. An empty list, an empty name or an unknown name is an error.
func ParsePermissions(s []string) ([]Permission, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("auth: no permissions given (want one or more of build, manage, read)")
	}
	out := make([]Permission, 0, len(s))
	for i, name := range s {
		p := Permission(name)
		if !p.Valid() {
			if name == "" {
				return nil, fmt.Errorf("auth: permission %d is empty (want build, manage or read)", i+1)
			}
			return nil, fmt.Errorf("auth: unknown permission %q (want build, manage or read)", name)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Principal is who a request authenticated as.
type Principal struct {
	Kind Kind
	// WorkspaceID is the workspace the credential belongs to; empty for admin.
	WorkspaceID string
	// SubjectID is the one subject a build token may act for; empty otherwise.
	SubjectID string
	// Permissions granted. For a build token, exactly its permissions. For
	// an API key, empty means every permission (workspace keys carry no
	// permission list in the store); a non-empty list restricts it.
	Permissions []Permission
	// CredentialID is the store id of the API key or build token, for the
	// audit log (never the credential itself).
	CredentialID string
	// Admin is the operator: every permission in every workspace.
	Admin bool
	// ExpiresAt is when a build token stops working; zero for credentials
	// that do not expire (the admin credential, API keys).
	ExpiresAt time.Time
}

// Can reports whether p holds perm. Unknown permissions and kinds that do not
// authenticate requests (signing secrets) are denied.
func (p Principal) Can(perm Permission) bool {
	if !perm.Valid() {
		return false
	}
	if p.Admin {
		return true
	}
	switch p.Kind {
	case KindAPIKey:
		if p.WorkspaceID == "" {
			return false
		}
		return len(p.Permissions) == 0 || slices.Contains(p.Permissions, perm)
	case KindBuildToken:
		return p.WorkspaceID != "" && p.SubjectID != "" && slices.Contains(p.Permissions, perm)
	}
	return false
}

// CanActOnWorkspace reports whether p may touch workspace workspaceID: the
// admin any, everyone else only their own (invariant 1).
func (p Principal) CanActOnWorkspace(workspaceID string) bool {
	if p.Admin {
		return true
	}
	if p.Kind != KindAPIKey && p.Kind != KindBuildToken {
		return false
	}
	return workspaceID != "" && p.WorkspaceID == workspaceID
}

// CanActOnSubject reports whether p may act for subject subjectID: API keys
// for any subject of their workspace (the caller checks the workspace with
// CanActOnWorkspace), build tokens only for their own subject, the admin for
// any.
func (p Principal) CanActOnSubject(subjectID string) bool {
	if subjectID == "" {
		return false
	}
	if p.Admin {
		return true
	}
	switch p.Kind {
	case KindAPIKey:
		return p.WorkspaceID != ""
	case KindBuildToken:
		return p.WorkspaceID != "" && p.SubjectID == subjectID
	}
	return false
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header.
// The scheme is case-insensitive; a missing header, another scheme, an empty
// token, a token with white space in it or several Authorization headers
// yield false.
func BearerToken(r *http.Request) (string, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return "", false
	}
	return tok, true
}
