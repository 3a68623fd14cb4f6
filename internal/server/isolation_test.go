package server

import (
	"bytes"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/server/servertest"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
)

// servedOp is one operation of the document the server serves.
type servedOp struct {
	id, method, path, perm string
	admin, hasBody         bool
}

// servedOps reads GET /v1/openapi.json and lists its operations, so that
// the tests below cover every endpoint, present and future.
func servedOps(t *testing.T, e *env) []servedOp {
	t.Helper()
	r := e.must(http.StatusOK, "GET", "/v1/openapi.json", "", nil)
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("served document: %v", err)
	}
	var ops []servedOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			perm, _ := op.Extensions["x-forge-permission"].(string)
			if perm == "" {
				t.Fatalf("%s %s has no x-forge-permission", method, path)
			}
			admin, _ := op.Extensions["x-forge-admin"].(bool)
			ops = append(ops, servedOp{id: op.OperationID, method: method, path: path, perm: perm, admin: admin, hasBody: op.RequestBody != nil})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	if len(ops) < 30 {
		t.Fatalf("the served document has only %d operations", len(ops))
	}
	return ops
}

// fill substitutes the path parameters with the resources of s.
func fill(path string, s setup) string {
	return strings.NewReplacer(
		"{ws}", s.ws.id, "{keyId}", s.keyID, "{tokenId}", s.tokenID, "{subject}", s.subject,
		"{name}", s.ext, "{version}", "1", "{secret}", "SLACK_TOKEN", "{key}", "channel",
	).Replace(path)
}

// call sends op with cred on the resources of s, with a body of {} when
// the operation takes one.
func (e *env) call(op servedOp, s setup, cred string) *resp {
	e.t.Helper()
	var body any
	if op.hasBody {
		body = raw{contentType: "application/json", body: []byte(`{}`)}
	}
	return e.do(op.method, fill(op.path, s), cred, body)
}

// TestIsolation: every operation of the served document, called with
// workspace B's credentials on workspace A's resources, is 404 (403 for
// the admin-only ones), and changes nothing in A. An operation any
// credential may call has no parameters to point at A: it answers with
// B's own credential and nothing of A's.
func TestIsolation(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			a := e.setup("a")
			b := e.setup("b")
			// Resources in A that B's calls could touch.
			e.must(http.StatusOK, "PUT", a.ws.ext(a.subject, a.ext, "/secrets/SLACK_TOKEN"), a.ws.key, map[string]any{"value": "a-secret"})
			e.must(http.StatusOK, "PUT", a.ws.ext(a.subject, a.ext, "/config/channel"), a.ws.key, map[string]any{"value": "#a"})
			before := e.auditCount(a.ws.id)
			// A build token of B for a subject with the same id as A's.
			e.must(http.StatusCreated, "POST", b.ws.path("/subjects"), b.ws.key, map[string]any{"id": a.subject})
			bTok, _ := e.token(b.ws, a.subject, "build", "read", "manage")

			covered := 0
			for _, op := range servedOps(t, e) {
				if op.perm == permPublic {
					continue
				}
				if op.perm == permAny && strings.Contains(op.path, "{") {
					t.Fatalf("%s (%s %s) is callable by any credential but addresses a resource", op.id, op.method, op.path)
				}
				for name, cred := range map[string]string{"key": b.ws.key, "token": b.token, "token-same-subject-id": bTok} {
					r := e.call(op, a, cred)
					if op.perm == permAny {
						if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(b.ws.id)) {
							t.Errorf("%s with B's %s: %d, want 200 naming B's workspace\n%s", op.id, name, r.status, r.body)
						}
						for what, v := range map[string]string{"workspace id": a.ws.id, "key id": a.keyID, "token id": a.tokenID, "key": a.ws.key, "token": a.token, "signing secret": a.ws.signing} {
							if bytes.Contains(r.body, []byte(v)) {
								t.Errorf("%s with B's %s tells A's %s\n%s", op.id, name, what, r.body)
							}
						}
						continue
					}
					want := http.StatusNotFound
					if op.perm == permAdmin {
						want = http.StatusForbidden
					}
					if r.status != want {
						t.Errorf("%s (%s %s) with B's %s on A: %d, want %d\n%s", op.id, op.method, op.path, name, r.status, want, r.body)
					}
				}
				covered++
			}
			if n := e.auditCount(a.ws.id); n != before {
				t.Fatalf("B's calls wrote %d audit records in A", n-before)
			}
			exts, _ := e.st.ListExtensions(t.Context(), a.ws.id, "")
			if len(exts) != 1 || exts[0].LatestVersion != 1 || exts[0].CurrentVersion != 0 {
				t.Fatalf("A's extension changed: %+v", exts)
			}
			e.must(http.StatusOK, "GET", a.ws.path("/keys"), a.ws.key, nil)
			e.must(http.StatusOK, "GET", a.ws.ext(a.subject, a.ext, "/config/channel"), a.token, nil)
			t.Logf("%d operations checked", covered)
		})
	}
}

// TestBuildTokenScope: a build token acts for its own subject only (404 on
// any other), and never approves, rejects, enables, or manages keys,
// tokens, subjects or the workspace (403), whatever its permissions.
func TestBuildTokenScope(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.setup("acme")
	// Subject Y with its own extension; the token is for subject X (s.subject).
	y := s
	y.subject = "cus_other"
	e.must(http.StatusCreated, "POST", s.ws.path("/subjects"), s.ws.key, map[string]any{"id": y.subject})
	e.must(http.StatusCreated, "POST", s.ws.path("/subjects/"+y.subject+"/extensions"), s.ws.key, servertest.PushBody(y.ext, "1.0.0"))
	readOnly, _ := e.token(s.ws, s.subject, "read")
	before := e.auditCount(s.ws.id)
	for _, op := range servedOps(t, e) {
		if op.perm == permPublic {
			continue
		}
		if strings.Contains(op.path, "{subject}") {
			if r := e.call(op, y, s.token); r.status != http.StatusNotFound {
				t.Errorf("%s with the token of %s on %s: %d, want 404\n%s", op.id, s.subject, y.subject, r.status, r.body)
			}
		}
		switch op.perm {
		case permAny:
			for name, cred := range map[string]string{"token": s.token, "read-only token": readOnly, "admin": e.admin} {
				if r := e.call(op, s, cred); r.status != http.StatusOK {
					t.Errorf("%s with the %s: %d, want 200\n%s", op.id, name, r.status, r.body)
				}
			}
		case permKey, permAdmin:
			if r := e.call(op, s, s.token); r.status != http.StatusForbidden {
				t.Errorf("%s with a build token (build, read, manage) on its own subject: %d, want 403\n%s", op.id, r.status, r.body)
			}
		case permManage, permBuild:
			if r := e.call(op, s, readOnly); r.status != http.StatusForbidden {
				t.Errorf("%s with a read-only build token: %d, want 403\n%s", op.id, r.status, r.body)
			}
		}
	}
	// The admin credential manages workspaces, nothing inside them.
	for _, path := range []string{"/keys", "/tokens", "/subjects", "/audit"} {
		e.must(http.StatusForbidden, "GET", s.ws.path(path), e.admin, nil)
	}
	e.must(http.StatusForbidden, "POST", s.ws.ext(s.subject, s.ext, "/versions/1/approve"), e.admin, nil)
	e.must(http.StatusForbidden, "POST", "/v1/workspaces", s.ws.key, map[string]any{"name": "x"})
	if n := e.auditCount(s.ws.id); n != before {
		t.Fatalf("refused calls wrote %d audit records", n-before)
	}
}

// TestCredentialLifetime: expired and revoked credentials fail with 401 on
// the next request.
func TestCredentialLifetime(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.setup("acme")
	get := s.ws.path("/subjects/" + s.subject)

	// A token that expired an hour ago, written straight to the store.
	plain, hash, err := auth.New(auth.KindBuildToken)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := store.BuildToken{
		WorkspaceID: s.ws.id, SubjectID: s.subject, Permissions: []store.Permission{store.PermRead},
		Hash: hash, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour),
	}
	if err := e.st.CreateBuildToken(t.Context(), &old); err != nil {
		t.Fatal(err)
	}
	r := e.must(http.StatusUnauthorized, "GET", get, plain, nil)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	// One that expires in a second is valid until then.
	plain2, hash2, _ := auth.New(auth.KindBuildToken)
	soon := store.BuildToken{
		WorkspaceID: s.ws.id, SubjectID: s.subject, Permissions: []store.Permission{store.PermRead},
		Hash: hash2, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour),
	}
	if err := e.st.CreateBuildToken(t.Context(), &soon); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusOK, "GET", get, plain2, nil)

	// Revocation through the API applies to the next request.
	tok, id := e.token(s.ws, s.subject, "read")
	e.must(http.StatusOK, "GET", get, tok, nil)
	e.must(http.StatusNoContent, "DELETE", s.ws.path("/tokens/"+id), s.ws.key, nil)
	e.must(http.StatusUnauthorized, "GET", get, tok, nil)
	e.must(http.StatusConflict, "DELETE", s.ws.path("/tokens/"+id), s.ws.key, nil)
	toks := e.must(http.StatusOK, "GET", s.ws.path("/tokens?subject="+s.subject), s.ws.key, nil).obj(t)["tokens"].([]any)
	if len(toks) != 4 {
		t.Fatalf("tokens = %d, want 4", len(toks))
	}

	// TTL: default 1h, at most 24h.
	m := e.must(http.StatusCreated, "POST", s.ws.path("/tokens"), s.ws.key, map[string]any{"subject": s.subject, "permissions": []string{"read"}}).obj(t)
	tk := m["token"].(map[string]any)
	created, _ := time.Parse(time.RFC3339Nano, tk["createdAt"].(string))
	expires, _ := time.Parse(time.RFC3339Nano, tk["expiresAt"].(string))
	if expires.Sub(created) != time.Hour {
		t.Fatalf("default ttl = %v", expires.Sub(created))
	}
	e.must(http.StatusCreated, "POST", s.ws.path("/tokens"), s.ws.key, map[string]any{"subject": s.subject, "permissions": []string{"read"}, "ttl": "24h"})
	e.must(http.StatusUnprocessableEntity, "POST", s.ws.path("/tokens"), s.ws.key, map[string]any{"subject": s.subject, "permissions": []string{"read"}, "ttl": "25h"})
	e.must(http.StatusUnprocessableEntity, "POST", s.ws.path("/tokens"), s.ws.key, map[string]any{"subject": "nobody", "permissions": []string{"read"}})
	e.must(http.StatusBadRequest, "POST", s.ws.path("/tokens"), s.ws.key, map[string]any{"subject": s.subject, "permissions": []string{"admin"}})

	// Malformed, unknown and missing credentials.
	e.must(http.StatusUnauthorized, "GET", get, "", nil)
	e.must(http.StatusUnauthorized, "GET", get, "cwa_nope", nil)
	other, _, _ := auth.New(auth.KindAPIKey)
	e.must(http.StatusUnauthorized, "GET", get, other, nil)
	e.must(http.StatusUnauthorized, "GET", get, s.ws.signing, nil)

	// Resetting the admin credential revokes the old one.
	fresh, err := BootstrapAdmin(t.Context(), e.st, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusUnauthorized, "GET", "/v1/workspaces", e.admin, nil)
	e.must(http.StatusOK, "GET", "/v1/workspaces", fresh, nil)
	if _, err := BootstrapAdmin(t.Context(), e.st, false, time.Now()); err != ErrAdminExists {
		t.Fatalf("second bootstrap = %v", err)
	}
}
