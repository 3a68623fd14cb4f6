package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/pkg/client"
)

// whoami calls GET /v1/whoami with cred, wants 200 and returns the caller,
// decoded strictly (no field the client type does not know).
func (e *env) whoami(cred string) client.Caller {
	e.t.Helper()
	r := e.must(http.StatusOK, "GET", "/v1/whoami", cred, nil)
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var c client.Caller
	if err := dec.Decode(&c); err != nil {
		e.t.Fatalf("whoami: %v\n%s", err, r.body)
	}
	if bytes.Contains(r.body, []byte(cred)) {
		e.t.Fatal("whoami echoes the credential")
	}
	return c
}

// TestWhoAmI: every kind of credential, whatever its permissions, learns
// its own kind, id, workspace, subject, permissions and expiry, and
// nothing else; whoami writes nothing.
func TestWhoAmI(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			s := e.setup("acme")
			other := e.setup("other")
			before := e.auditCount(s.ws.id)

			admins, err := e.st.ListAdminCredentials(t.Context())
			if err != nil || len(admins) != 1 {
				t.Fatalf("admin credentials: %v, %v", admins, err)
			}
			if got, want := e.whoami(e.admin), (client.Caller{Kind: client.CredentialAdmin, CredentialID: admins[0].ID}); !reflect.DeepEqual(got, want) {
				t.Errorf("admin: %+v, want %+v", got, want)
			}

			all := []client.Permission{client.PermissionBuild, client.PermissionManage, client.PermissionRead}
			if got, want := e.whoami(s.ws.key), (client.Caller{Kind: client.CredentialAPIKey, CredentialID: s.keyID, Workspace: s.ws.id, Permissions: all}); !reflect.DeepEqual(got, want) {
				t.Errorf("API key: %+v, want %+v", got, want)
			}
			// A second key of the same workspace is told apart by its id.
			m := e.must(http.StatusCreated, "POST", s.ws.path("/keys"), s.ws.key, map[string]any{"name": "ci"}).obj(t)
			ciKey, ciID := m["apiKey"].(string), m["key"].(map[string]any)["id"].(string)
			if got := e.whoami(ciKey); got.CredentialID != ciID || got.Workspace != s.ws.id {
				t.Errorf("second API key: %+v, want id %s", got, ciID)
			}
			if got := e.whoami(other.ws.key); got.Workspace != other.ws.id || got.CredentialID != other.keyID {
				t.Errorf("other workspace's API key: %+v", got)
			}

			// Build tokens of every permission set, including none that can
			// read anything in the workspace.
			for _, perms := range [][]string{{"build"}, {"read"}, {"manage"}, {"build", "manage", "read"}} {
				m := e.must(http.StatusCreated, "POST", s.ws.path("/tokens"), s.ws.key, map[string]any{"subject": s.subject, "permissions": perms, "ttl": "30m"}).obj(t)
				tok := m["token"].(map[string]any)
				expires, err := time.Parse(time.RFC3339Nano, tok["expiresAt"].(string))
				if err != nil {
					t.Fatal(err)
				}
				got := e.whoami(m["buildToken"].(string))
				want := client.Caller{Kind: client.CredentialBuildToken, CredentialID: tok["id"].(string), Workspace: s.ws.id, Subject: s.subject}
				for _, p := range perms {
					want.Permissions = append(want.Permissions, client.Permission(p))
				}
				if got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) {
					t.Errorf("token %v: expiresAt %v, want %v", perms, got.ExpiresAt, expires)
				}
				got.ExpiresAt = nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("token %v: %+v, want %+v", perms, got, want)
				}
			}

			if n := e.auditCount(s.ws.id); n != before+1+4 { // the key and the tokens created above
				t.Fatalf("whoami wrote audit records: %d, want %d", n, before+5)
			}
		})
	}
}

// TestWhoAmIRefuses: no credential, a malformed, unknown, revoked or
// expired one, and a signing secret get the 401 problem every endpoint
// gives.
func TestWhoAmIRefuses(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			s := e.setup("acme")

			// Revoked API key: valid until revoked, 401 on the next request.
			m := e.must(http.StatusCreated, "POST", s.ws.path("/keys"), s.ws.key, map[string]any{"name": "ci"}).obj(t)
			key, keyID := m["apiKey"].(string), m["key"].(map[string]any)["id"].(string)
			e.whoami(key)
			e.must(http.StatusNoContent, "DELETE", s.ws.path("/keys/"+keyID), s.ws.key, nil)

			// Revoked build token.
			tok, tokID := e.token(s.ws, s.subject, "read")
			e.whoami(tok)
			e.must(http.StatusNoContent, "DELETE", s.ws.path("/tokens/"+tokID), s.ws.key, nil)

			// A build token that expired a minute ago, and one that expires in
			// an hour (valid), written straight to the store.
			now := time.Now()
			expired, hash, err := auth.New(auth.KindBuildToken)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.st.CreateBuildToken(t.Context(), &store.BuildToken{
				WorkspaceID: s.ws.id, SubjectID: s.subject, Permissions: []store.Permission{store.PermBuild},
				Hash: hash, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute),
			}); err != nil {
				t.Fatal(err)
			}
			valid, hash2, _ := auth.New(auth.KindBuildToken)
			if err := e.st.CreateBuildToken(t.Context(), &store.BuildToken{
				WorkspaceID: s.ws.id, SubjectID: s.subject, Permissions: []store.Permission{store.PermBuild},
				Hash: hash2, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour),
			}); err != nil {
				t.Fatal(err)
			}
			e.whoami(valid)

			unknown, _, _ := auth.New(auth.KindAPIKey)
			oldAdmin := e.admin
			if _, err := BootstrapAdmin(t.Context(), e.st, true, time.Now()); err != nil {
				t.Fatal(err)
			}
			for name, cred := range map[string]string{
				"no credential": "", "malformed": "cwa_nope", "unknown API key": unknown,
				"revoked API key": key, "revoked build token": tok, "expired build token": expired,
				"signing secret": s.ws.signing, "replaced admin credential": oldAdmin,
			} {
				r := e.do("GET", "/v1/whoami", cred, nil)
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401\n%s", name, r.status, r.body)
					continue
				}
				if p := r.obj(t); p["status"] != float64(http.StatusUnauthorized) || r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: problem %v, WWW-Authenticate %q", name, p, r.header.Get("WWW-Authenticate"))
				}
				if strings.Contains(string(r.body), s.ws.id) {
					t.Errorf("%s: the refusal names the workspace\n%s", name, r.body)
				}
			}
		})
	}
}

// TestAnyTakesNoParameters: the server refuses to start when an operation
// any credential may call takes parameters, since it skips the workspace
// and subject scopes.
func TestAnyTakesNoParameters(t *testing.T) {
	api, err := loadAPI()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{api: api, maxBody: DefaultMaxBodyBytes}
	if err := s.routes(); err != nil {
		t.Fatalf("the embedded document: %v", err)
	}
	op := api.doc.Paths.Value("/v1/whoami").Get
	if op == nil || op.Extensions["x-forge-permission"] != permAny {
		t.Fatal("GET /v1/whoami is not an operation of any credential")
	}
	op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: openapi3.NewQueryParameter("ws").WithSchema(openapi3.NewStringSchema())})
	s = &Server{api: api, maxBody: DefaultMaxBodyBytes}
	if err := s.routes(); err == nil || !strings.Contains(err.Error(), "whoAmI") {
		t.Fatalf("routes with a parameter on whoAmI: %v", err)
	}
}
