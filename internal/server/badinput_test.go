package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/auth"
)

// TestBadInput: malformed JSON, unknown fields, oversized bodies, wrong
// content types and invalid ids are problem+json 4xx answers, never 5xx,
// and write nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.setup("acme")
	ws, key := s.ws, s.ws.key
	subjects := ws.path("/subjects")
	before := e.auditCount(ws.id)
	json := func(b string) raw { return raw{contentType: "application/json", body: []byte(b)} }
	huge := `{"id":"` + strings.Repeat("a", 2<<20) + `"}`

	cred := func(k auth.Kind) string {
		plain, _, err := auth.New(k)
		if err != nil {
			t.Fatal(err)
		}
		return plain
	}
	apiKey, buildToken, adminCred, signing := cred(auth.KindAPIKey), cred(auth.KindBuildToken), cred(auth.KindAdmin), cred(auth.KindSigningSecret)
	wssBefore, _ := e.st.ListWorkspaces(t.Context())
	keysBefore, _ := e.st.ListAPIKeys(t.Context(), ws.id)

	cases := []struct {
		name, method, path string
		body               any
		want               int
		cred               string // the workspace key when empty
	}{
		{"malformed JSON", "POST", subjects, json(`{"id": "x"`), 400, ""},
		{"not an object", "POST", subjects, json(`["x"]`), 400, ""},
		{"trailing garbage", "POST", subjects, json(`{"id":"x"} {}`), 400, ""},
		{"empty body", "POST", subjects, json(``), 400, ""},
		{"null", "POST", subjects, json(`null`), 400, ""},
		{"unknown field", "POST", subjects, json(`{"id":"x","admin":true}`), 400, ""},
		{"wrong type", "POST", subjects, json(`{"id":42}`), 400, ""},
		{"missing field", "POST", subjects, json(`{"displayName":"x"}`), 400, ""},
		{"invalid subject id", "POST", subjects, json(`{"id":"a/b"}`), 400, ""},
		{"oversized body", "POST", subjects, json(huge), 413, ""},
		{"text/plain", "POST", subjects, raw{contentType: "text/plain", body: []byte(`{"id":"x"}`)}, 415, ""},
		{"form", "POST", subjects, raw{contentType: "application/x-www-form-urlencoded", body: []byte(`id=x`)}, 415, ""},
		{"no content type", "POST", subjects, raw{body: []byte(`{"id":"x"}`)}, 415, ""},
		{"invalid utf-8", "POST", subjects, json("{\"id\":\"\xff\xfe\"}"), 400, ""},
		{"deep nesting", "PUT", ws.path("/registry"), json(strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000)), 400, ""},
		{"invalid key id", "DELETE", ws.path("/keys/not-an-id"), nil, 400, ""},
		{"invalid token id", "DELETE", ws.path("/tokens/ABC"), nil, 400, ""},
		{"invalid subject in path", "GET", ws.path("/subjects/" + url.PathEscape("bad subject!")), nil, 400, ""},
		{"encoded slash in subject", "GET", ws.path("/subjects/a%2Fb"), nil, 400, ""},
		{"invalid extension name", "GET", ws.ext(s.subject, "Bad_Name", ""), nil, 400, ""},
		{"version zero", "POST", ws.ext(s.subject, s.ext, "/versions/0/approve"), nil, 400, ""},
		{"version not a number", "POST", ws.ext(s.subject, s.ext, "/versions/1x/approve"), nil, 400, ""},
		{"version overflow", "GET", ws.ext(s.subject, s.ext, "/versions/99999999999999999999999"), nil, 400, ""},
		{"invalid secret name", "PUT", ws.ext(s.subject, s.ext, "/secrets/lower"), map[string]any{"value": "v"}, 400, ""},
		{"invalid config key", "PUT", ws.ext(s.subject, s.ext, "/config/Bad-Key"), map[string]any{"value": "v"}, 400, ""},
		{"audit limit too big", "GET", ws.path("/audit?limit=100000"), nil, 400, ""},
		{"audit after negative", "GET", ws.path("/audit?after=-1"), nil, 400, ""},
		{"permissions empty", "POST", ws.path("/tokens"), map[string]any{"subject": s.subject, "permissions": []string{}}, 400, ""},
		{"ttl not a duration", "POST", ws.path("/tokens"), map[string]any{"subject": s.subject, "permissions": []string{"read"}, "ttl": "forever"}, 400, ""},
		{"rollback version string", "POST", ws.ext(s.subject, s.ext, "/rollback"), map[string]any{"version": "1"}, 400, ""},
		{"event type name", "PUT", ws.path("/events"), map[string]any{"types": []string{"Not Valid"}}, 400, ""},
		{"duplicate event type", "PUT", ws.path("/events"), map[string]any{"types": []string{"a.b", "a.b"}}, 422, ""},
		{"registry not an index", "PUT", ws.path("/registry"), map[string]any{"index": map[string]any{"version": 9}, "files": map[string]string{}}, 422, ""},
		{"registry file digest", "PUT", ws.path("/registry"), tamperedRegistry(), 422, ""},
		{"push module not base64", "POST", ws.path("/subjects/" + s.subject + "/extensions"), map[string]any{"manifest": "x", "module": "!!!", "record": map[string]any{}}, 400, ""},
		{"push record not object", "POST", ws.path("/subjects/" + s.subject + "/extensions"), map[string]any{"manifest": "x", "module": "AA==", "record": "x"}, 400, ""},
		{"unknown endpoint", "GET", "/v1/nothing", nil, 404, ""},
		{"wrong method", "PATCH", subjects, json(`{}`), 405, ""},
		{"duplicate subject", "POST", subjects, map[string]any{"id": s.subject}, 409, ""},
		// A credential in a field the audit log records is refused there.
		{"credential in subject displayName", "POST", subjects, map[string]any{"id": "cus_other", "displayName": "see " + apiKey}, 422, ""},
		{"credential in key name", "POST", ws.path("/keys"), map[string]any{"name": buildToken}, 422, ""},
		{"credential in reject reason", "POST", ws.ext(s.subject, s.ext, "/versions/1/reject"), map[string]any{"reason": "leaked " + signing}, 422, ""},
		{"credential in workspace name", "POST", "/v1/workspaces", map[string]any{"name": adminCred}, 422, e.admin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cred
			if c == "" {
				c = key
			}
			r := e.do(tc.method, tc.path, c, tc.body)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d\n%.500s", r.status, tc.want, r.body)
			}
			p := r.obj(t)
			if p["status"].(float64) != float64(tc.want) || p["title"] == "" {
				t.Fatalf("problem = %v", p)
			}
			if bytes.Contains(r.body, []byte(strings.Repeat("a", 100))) {
				t.Fatal("the problem echoes the body")
			}
			for _, c := range []string{apiKey, buildToken, adminCred, signing} {
				if bytes.Contains(r.body, []byte(c[4:20])) {
					t.Fatalf("the problem echoes a credential: %s", r.body)
				}
			}
			if tc.want == 422 && strings.HasPrefix(tc.name, "credential in") {
				if d, _ := p["detail"].(string); !strings.Contains(d, "details.") {
					t.Fatalf("detail %q does not name the field", d)
				}
			}
		})
	}
	if n := e.auditCount(ws.id); n != before {
		t.Fatalf("bad requests wrote %d audit records", n-before)
	}
	subs, _ := e.st.ListSubjects(t.Context(), ws.id)
	if len(subs) != 1 {
		t.Fatalf("bad requests created subjects: %d", len(subs))
	}
	if wss, _ := e.st.ListWorkspaces(t.Context()); len(wss) != len(wssBefore) {
		t.Fatalf("bad requests created workspaces: %d", len(wss)-len(wssBefore))
	}
	if keys, _ := e.st.ListAPIKeys(t.Context(), ws.id); len(keys) != len(keysBefore) {
		t.Fatalf("bad requests created API keys: %d", len(keys)-len(keysBefore))
	}
	if v := e.must(http.StatusOK, "GET", ws.ext(s.subject, s.ext, "/versions/1"), key, nil).obj(t); v["state"] != "pending_approval" {
		t.Fatalf("bad requests changed version 1: %v", v["state"])
	}
	// The server still answers.
	e.must(http.StatusOK, "GET", "/readyz", "", nil)
}

func tamperedRegistry() map[string]any {
	doc := testRegistryDoc()
	files := doc["files"].(map[string]string)
	files["billing.jsonl"] += "\n"
	files["extra.jsonl"] = "{}"
	return doc
}

func TestJSONDepth(t *testing.T) {
	for in, want := range map[string]int{
		`1`: 0, `{}`: 1, `[[],[[]]]`: 3, `{"a":"\"{{[["}`: 1, `{"a":"\\","b":[{}]}`: 3, `"[{"`: 0,
	} {
		if got := jsonDepth([]byte(in)); got != want {
			t.Errorf("jsonDepth(%s) = %d, want %d", in, got, want)
		}
	}
}
