package server

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/server/servertest"

	"github.com/forgehq/forge/internal/store"
)

// TestLifecycle walks the happy path end to end: an operator creates a
// workspace, the host declares its registry and events and a subject, a
// build token pushes an extension, a workspace key approves it, config and
// secrets are set, the extension is disabled, enabled, upgraded and rolled
// back, and the audit chain verifies.
func TestLifecycle(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			e.must(http.StatusOK, "GET", "/healthz", "", nil)
			e.must(http.StatusOK, "GET", "/readyz", "", nil)
			e.must(http.StatusOK, "GET", "/v1/openapi.json", "", nil)

			s := e.setup("acme")
			ws, tok, key := s.ws, s.token, s.ws.key
			if !strings.HasPrefix(ws.key, "cwa_") || !strings.HasPrefix(ws.signing, "cws_") || !strings.HasPrefix(tok, "atk_") {
				t.Fatalf("credentials: %.4s %.4s %.4s", ws.key, ws.signing, tok)
			}
			list := e.must(http.StatusOK, "GET", "/v1/workspaces", e.admin, nil).obj(t)["workspaces"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["id"] != ws.id {
				t.Fatalf("workspaces = %v", list)
			}
			e.must(http.StatusOK, "GET", ws.path(""), e.admin, nil)
			e.must(http.StatusOK, "GET", ws.path(""), key, nil)

			reg := e.must(http.StatusOK, "GET", ws.path("/registry"), tok, nil).obj(t)
			if reg["version"].(float64) != 1 || reg["capabilities"].(float64) != 1 {
				t.Fatalf("registry = %v", reg)
			}
			// Pushing the same registry again stores nothing new.
			again := e.must(http.StatusOK, "PUT", ws.path("/registry"), key, testRegistryDoc()).obj(t)
			if again["version"].(float64) != 1 || again["digest"] != reg["digest"] {
				t.Fatalf("re-push = %v", again)
			}
			ev := e.must(http.StatusOK, "GET", ws.path("/events"), tok, nil).obj(t)["types"].([]any)
			if len(ev) != 2 {
				t.Fatalf("events = %v", ev)
			}

			// Version 1 is pending: nothing is active.
			ext := e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, ""), tok, nil).obj(t)
			if ext["latestVersion"].(float64) != 1 || ext["currentVersion"].(float64) != 0 {
				t.Fatalf("extension = %v", ext)
			}
			v1 := e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, "/versions/1"), tok, nil).obj(t)
			if v1["state"] != "pending_approval" || !strings.Contains(v1["manifest"].(string), "invoice-digest") ||
				v1["record"].(map[string]any)["model"] != "test-model" {
				t.Fatalf("version 1 = %v", v1)
			}
			extID := ext["id"].(string)
			if _, err := e.st.ActiveVersion(t.Context(), ws.id, extID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("active version before approval: %v", err)
			}

			ap := e.must(http.StatusOK, "POST", ws.ext(s.subject, s.ext, "/versions/1/approve"), key, nil).obj(t)
			if ap["state"] != "active" || !strings.HasPrefix(ap["approvedBy"].(string), "api-key:") {
				t.Fatalf("approve = %v", ap)
			}
			if v, err := e.st.ActiveVersion(t.Context(), ws.id, extID); err != nil || v.Version != 1 {
				t.Fatalf("active version = %v, %v", v.Version, err)
			}

			// Secrets and config with the build token (manage).
			e.must(http.StatusOK, "PUT", ws.ext(s.subject, s.ext, "/secrets/SLACK_TOKEN"), tok, map[string]any{"value": "xoxb-lifecycle"})
			secs := e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, "/secrets"), tok, nil).obj(t)["secrets"].([]any)
			if len(secs) != 1 || secs[0].(map[string]any)["name"] != "SLACK_TOKEN" || len(secs[0].(map[string]any)) != 2 {
				t.Fatalf("secrets = %v", secs)
			}
			e.must(http.StatusOK, "PUT", ws.ext(s.subject, s.ext, "/config/channel"), tok, map[string]any{"value": "#ops"})
			cfg := e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, "/config/channel"), tok, nil).obj(t)
			if cfg["value"] != "#ops" {
				t.Fatalf("config = %v", cfg)
			}
			e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, "/config"), tok, nil)
			e.must(http.StatusNoContent, "DELETE", ws.ext(s.subject, s.ext, "/config/channel"), tok, nil)
			e.must(http.StatusNotFound, "GET", ws.ext(s.subject, s.ext, "/config/channel"), tok, nil)
			e.must(http.StatusNoContent, "DELETE", ws.ext(s.subject, s.ext, "/secrets/SLACK_TOKEN"), tok, nil)
			e.must(http.StatusNotFound, "DELETE", ws.ext(s.subject, s.ext, "/secrets/SLACK_TOKEN"), tok, nil)

			// Disable, enable; a new version; rollback.
			e.must(http.StatusOK, "POST", ws.ext(s.subject, s.ext, "/disable"), key, nil)
			e.must(http.StatusOK, "POST", ws.ext(s.subject, s.ext, "/enable"), key, nil)
			pushed := e.must(http.StatusCreated, "POST", ws.path("/subjects/"+s.subject+"/extensions"), tok, servertest.PushBody(s.ext, "1.1.0")).obj(t)
			if pushed["version"].(map[string]any)["version"].(float64) != 2 {
				t.Fatalf("push 2 = %v", pushed)
			}
			e.must(http.StatusOK, "POST", ws.ext(s.subject, s.ext, "/versions/2/approve"), key, nil)
			rb := e.must(http.StatusOK, "POST", ws.ext(s.subject, s.ext, "/rollback"), key, map[string]any{"version": 1}).obj(t)
			if rb["version"].(float64) != 1 || rb["state"] != "active" {
				t.Fatalf("rollback = %v", rb)
			}
			vs := e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, "/versions"), tok, nil).obj(t)["versions"].([]any)
			if len(vs) != 2 || vs[1].(map[string]any)["state"] != "superseded" {
				t.Fatalf("versions = %v", vs)
			}
			exts := e.must(http.StatusOK, "GET", ws.path("/subjects/"+s.subject+"/extensions"), tok, nil).obj(t)["extensions"].([]any)
			if len(exts) != 1 {
				t.Fatalf("extensions = %v", exts)
			}

			// Credentials: rotate the signing secret, add and revoke a key.
			rot := e.must(http.StatusOK, "POST", ws.path("/signing-secret/rotate"), key, nil).obj(t)
			if rot["version"].(float64) != 2 || rot["signingSecret"] == ws.signing || rot["previousExpiresAt"] == nil {
				t.Fatalf("rotate = %v", rot)
			}
			secrets, err := e.st.SigningSecrets(t.Context(), ws.id, e.clockNow())
			if err != nil || len(secrets) != 2 {
				t.Fatalf("signing secrets valid after rotation: %d, %v", len(secrets), err)
			}
			k2 := e.must(http.StatusCreated, "POST", ws.path("/keys"), key, map[string]any{"name": "ci"}).obj(t)
			k2plain, k2id := k2["apiKey"].(string), k2["key"].(map[string]any)["id"].(string)
			e.must(http.StatusOK, "GET", ws.path("/subjects"), k2plain, nil)
			e.must(http.StatusNoContent, "DELETE", ws.path("/keys/"+k2id), key, nil)
			e.must(http.StatusUnauthorized, "GET", ws.path("/subjects"), k2plain, nil)
			e.must(http.StatusConflict, "DELETE", ws.path("/keys/"+k2id), key, nil)

			// The audit log has every change, by credential id, and verifies.
			page := e.must(http.StatusOK, "GET", ws.path("/audit?limit=1000"), key, nil).obj(t)
			var actions []string
			for _, r := range page["records"].([]any) {
				rec := r.(map[string]any)
				actions = append(actions, rec["action"].(string))
				if a := rec["actor"].(string); strings.Contains(a, "_") {
					t.Fatalf("actor %q looks like a credential", a)
				}
			}
			for _, want := range []string{
				"workspace.create", "subject.create", "registry.push", "events.set", "token.create",
				"extension.push", "extension.approve", "secret.put", "config.put", "config.delete", "secret.delete",
				"extension.disable", "extension.enable", "extension.rollback", "signing_secret.rotate", "apikey.create", "apikey.revoke",
			} {
				if !strings.Contains(strings.Join(actions, " "), want) {
					t.Errorf("audit lacks %s: %v", want, actions)
				}
			}
			first := e.must(http.StatusOK, "GET", ws.path("/audit?limit=2"), key, nil).obj(t)
			if len(first["records"].([]any)) != 2 || first["next"].(float64) != 2 {
				t.Fatalf("audit page = %v", first)
			}
			ver := e.must(http.StatusOK, "GET", ws.path("/audit/verify"), key, nil).obj(t)
			if ver["ok"] != true || int(ver["records"].(float64)) != len(actions) {
				t.Fatalf("verify = %v (%d records)", ver, len(actions))
			}

			// Deleting the subject removes its extensions and tokens.
			e.must(http.StatusNoContent, "DELETE", ws.path("/subjects/"+s.subject), key, nil)
			e.must(http.StatusUnauthorized, "GET", ws.path("/registry"), tok, nil)
			e.must(http.StatusNotFound, "GET", ws.path("/subjects/"+s.subject), key, nil)
		})
	}
}

// TestPushValidation: the server validates again, against the workspace's
// registry and events; errors are a 422 with diagnostics, nothing stored.
func TestPushValidation(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.setup("acme")
	pushPath := s.ws.path("/subjects/" + s.subject + "/extensions")
	before := e.auditCount(s.ws.id)

	unknownCap := servertest.PushBody("other", "1.0.0")
	unknownCap["manifest"] = strings.Replace(unknownCap["manifest"].(string), "billing.listInvoices", "billing.listInvoice", 1)
	unknownCap["record"] = map[string]any{}
	r := e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, unknownCap)
	p := r.obj(t)
	ds := p["diagnostics"].([]any)
	if len(ds) == 0 || !strings.Contains(string(r.body), "registry/unknown-capability") || !strings.Contains(string(r.body), "billing.listInvoices") {
		t.Fatalf("diagnostics = %s", r.body)
	}
	if d := ds[0].(map[string]any); d["line"].(float64) == 0 || d["file"] != "extension.yaml" {
		t.Fatalf("diagnostic without position: %v", d)
	}

	badEvent := servertest.PushBody("other", "1.0.0")
	badEvent["manifest"] = strings.Replace(badEvent["manifest"].(string), "invoice.created", "invoice.deleted", 1)
	badEvent["record"] = map[string]any{}
	r = e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, badEvent)
	if !strings.Contains(string(r.body), "invoice.deleted") {
		t.Fatalf("undeclared event not reported: %s", r.body)
	}

	notYAML := servertest.PushBody("other", "1.0.0")
	notYAML["manifest"] = "{{{{ not yaml"
	notYAML["record"] = map[string]any{}
	e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, notYAML)

	wrongDigest := servertest.PushBody("other", "1.0.0")
	wrongDigest["module"] = "AGFzbQEAAAA=" // a different (empty) module
	e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, wrongDigest)

	notWasm := servertest.PushBody("other", "1.0.0")
	notWasm["module"] = "bm90IHdhc20="
	notWasm["record"] = map[string]any{}
	r = e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, notWasm)
	if !strings.Contains(string(r.body), "module/unreadable") {
		t.Fatalf("unreadable module not reported: %s", r.body)
	}

	leaky := servertest.PushBody("other", "1.0.0")
	leaky["record"] = map[string]any{"model": "m", "note": s.token}
	r = e.must(http.StatusUnprocessableEntity, "POST", pushPath, s.token, leaky)
	if strings.Contains(string(r.body), s.token) {
		t.Fatal("the error echoes the credential")
	}

	// A subject of another workspace, or a missing one, is 404.
	e.must(http.StatusNotFound, "POST", s.ws.path("/subjects/nobody/extensions"), s.ws.key, servertest.PushBody("other", "1.0.0"))

	if n := e.auditCount(s.ws.id); n != before {
		t.Fatalf("rejected pushes wrote %d audit records", n-before)
	}
	exts, _ := e.st.ListExtensions(t.Context(), s.ws.id, "")
	if len(exts) != 1 {
		t.Fatalf("rejected pushes stored extensions: %d", len(exts))
	}
}

// TestApproval: nothing is active without an approval by a workspace key;
// rejected or pending versions cannot be enabled.
func TestApproval(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.setup("acme")
	ws, key := s.ws, s.ws.key
	ext := func(p string) string { return ws.ext(s.subject, s.ext, p) }

	e.must(http.StatusForbidden, "POST", ext("/versions/1/approve"), s.token, nil)
	e.must(http.StatusConflict, "POST", ext("/enable"), key, nil)
	e.must(http.StatusConflict, "POST", ext("/disable"), key, nil)
	e.must(http.StatusConflict, "POST", ext("/rollback"), key, map[string]any{"version": 1})
	e.must(http.StatusNotFound, "POST", ext("/versions/9/approve"), key, nil)
	e.must(http.StatusOK, "POST", ext("/versions/1/reject"), key, map[string]any{"reason": "posts to the wrong channel"})
	e.must(http.StatusConflict, "POST", ext("/versions/1/approve"), key, nil)
	e.must(http.StatusConflict, "POST", ext("/enable"), key, nil)
	e.must(http.StatusConflict, "POST", ext("/versions/1/reject"), key, map[string]any{"reason": "again"})
	e.must(http.StatusBadRequest, "POST", ext("/versions/1/reject"), key, map[string]any{"reason": ""})

	got := e.must(http.StatusOK, "GET", ext(""), key, nil).obj(t)
	if got["currentVersion"].(float64) != 0 || got["currentState"] != nil {
		t.Fatalf("extension after reject = %v", got)
	}
	v1 := e.must(http.StatusOK, "GET", ext("/versions/1"), key, nil).obj(t)
	if v1["state"] != "rejected" || v1["rejectReason"] != "posts to the wrong channel" {
		t.Fatalf("version 1 = %v", v1)
	}
	exts, _ := e.st.ListExtensions(t.Context(), ws.id, "")
	if _, err := e.st.ActiveVersion(t.Context(), ws.id, exts[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an active version exists without approval: %v", err)
	}

	e.must(http.StatusCreated, "POST", ws.path("/subjects/"+s.subject+"/extensions"), s.token, servertest.PushBody(s.ext, "1.0.1"))
	e.must(http.StatusConflict, "POST", ext("/enable"), key, nil)
	e.must(http.StatusOK, "POST", ext("/versions/2/approve"), key, nil)
	e.must(http.StatusConflict, "POST", ext("/versions/2/approve"), key, nil)
	e.must(http.StatusConflict, "POST", ext("/enable"), key, nil)
	recs := e.must(http.StatusOK, "GET", ws.path("/audit?limit=1000"), key, nil).obj(t)["records"].([]any)
	var approvals int
	for _, r := range recs {
		if r.(map[string]any)["action"] == "extension.approve" {
			approvals++
		}
	}
	if approvals != 1 {
		t.Fatalf("%d approval records, want 1", approvals)
	}
}
