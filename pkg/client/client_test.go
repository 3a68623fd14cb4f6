package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/cli/remote/remotetest"
	"github.com/forgehq/forge/pkg/client"
)

func newClient(t *testing.T, url, cred string) *client.Client {
	t.Helper()
	c, err := client.New(url, cred, client.WithUserAgent("forge-client-test"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// must returns v, failing the test on err: must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func pushRequest(t *testing.T, name, version, manifest string) client.PushExtensionRequest {
	t.Helper()
	b, err := bundle.Read(remotetest.WriteBundle(t, t.TempDir(), name, version, manifest))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := json.Marshal(b.Record)
	if err != nil {
		t.Fatal(err)
	}
	return client.PushExtensionRequest{Manifest: string(b.Manifest), Module: b.Module, Record: rec}
}

func registryPush(t *testing.T) client.RegistryPush {
	t.Helper()
	dir := remotetest.WriteRegistry(t, t.TempDir())
	idx := must(os.ReadFile(filepath.Join(dir, "index.json")))(t)
	file := must(os.ReadFile(filepath.Join(dir, "billing.jsonl")))(t)
	return client.RegistryPush{Index: idx, Files: map[string]string{"billing.jsonl": string(file)}}
}

// TestContract runs every client method against the real server.
func TestContract(t *testing.T) {
	srv := remotetest.Start(t)
	ctx := t.Context()

	anon := newClient(t, srv.URL, "")
	if err := anon.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if err := anon.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	doc := must(anon.OpenAPI(ctx))(t)
	if !json.Valid(doc) || !strings.Contains(string(doc), "pushExtension") {
		t.Fatalf("OpenAPI document: %.200s", doc)
	}
	if _, err := anon.ListWorkspaces(ctx); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("no credential: %v, want ErrUnauthorized", err)
	}
	if _, err := anon.WhoAmI(ctx); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("WhoAmI without a credential: %v, want ErrUnauthorized", err)
	}

	admin := newClient(t, srv.URL, srv.Admin)
	created := must(admin.CreateWorkspace(ctx, "acme"))(t)
	if !strings.HasPrefix(created.APIKey, "cwa_") || !strings.HasPrefix(created.SigningSecret, "cws_") {
		t.Fatalf("created workspace: %+v", created)
	}
	ws := created.Workspace.ID
	if me := must(admin.WhoAmI(ctx))(t); me.Kind != client.CredentialAdmin || me.CredentialID == "" || me.Workspace != "" || me.Permissions != nil || me.ExpiresAt != nil {
		t.Fatalf("admin WhoAmI: %+v", me)
	}
	list := must(admin.ListWorkspaces(ctx))(t)
	if len(list) != 1 || list[0].ID != ws || list[0].Name != "acme" {
		t.Fatalf("workspaces: %+v", list)
	}
	if got := must(admin.GetWorkspace(ctx, ws))(t); got.Name != "acme" {
		t.Fatalf("workspace: %+v", got)
	}
	if _, err := admin.ListSubjects(ctx, ws); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("admin listing subjects: %v, want ErrForbidden", err)
	}

	key := newClient(t, srv.URL, created.APIKey)
	if got := must(key.GetWorkspace(ctx, ws))(t); got.ID != ws {
		t.Fatalf("workspace: %+v", got)
	}
	second := must(key.CreateAPIKey(ctx, ws, "ci"))(t)
	if !strings.HasPrefix(second.APIKey, "cwa_") || second.Key.Name != "ci" {
		t.Fatalf("created key: %+v", second)
	}
	keys := must(key.ListAPIKeys(ctx, ws))(t)
	if len(keys) != 2 {
		t.Fatalf("keys: %+v", keys)
	}
	if me := must(newClient(t, srv.URL, second.APIKey).WhoAmI(ctx))(t); me.Kind != client.CredentialAPIKey || me.CredentialID != second.Key.ID ||
		me.Workspace != ws || len(me.Permissions) != 3 || me.Subject != "" || me.ExpiresAt != nil {
		t.Fatalf("API key WhoAmI: %+v", me)
	}
	rot := must(key.RotateSigningSecret(ctx, ws))(t)
	if !strings.HasPrefix(rot.SigningSecret, "cws_") || rot.SigningSecret == created.SigningSecret || rot.PreviousExpiresAt == nil {
		t.Fatalf("rotation: %+v", rot)
	}
	types := must(key.SetEventTypes(ctx, ws, []client.EventType{{Name: remotetest.EventType}, {Name: "invoice.paid", Description: "paid"}}))(t)
	if len(types) != 2 {
		t.Fatalf("event types: %+v", types)
	}
	if got := must(key.ListEventTypes(ctx, ws))(t); len(got) != 2 {
		t.Fatalf("event types: %+v", got)
	}

	info := must(key.PushRegistry(ctx, ws, registryPush(t)))(t)
	if info.Version != 1 || info.Capabilities != 1 || info.Sources != 1 {
		t.Fatalf("registry: %+v", info)
	}
	again := must(key.PushRegistry(ctx, ws, registryPush(t)))(t)
	if again.Version != 1 || again.Digest != info.Digest {
		t.Fatalf("pushing the same registry again: %+v, want version 1", again)
	}
	regDoc := must(key.GetRegistry(ctx, ws))(t)
	if regDoc.Digest != info.Digest || regDoc.Files["billing.jsonl"] == "" || !json.Valid(regDoc.Index) {
		t.Fatalf("registry document: %+v", regDoc.RegistryInfo)
	}

	const subject = "cus_42"
	sub := must(key.CreateSubject(ctx, ws, client.CreateSubjectRequest{ID: subject, DisplayName: "Customer 42"}))(t)
	if sub.ID != subject {
		t.Fatalf("subject: %+v", sub)
	}
	if _, err := key.CreateSubject(ctx, ws, client.CreateSubjectRequest{ID: subject}); !errors.Is(err, client.ErrConflict) {
		t.Fatalf("duplicate subject: %v, want ErrConflict", err)
	}
	if got := must(key.ListSubjects(ctx, ws))(t); len(got) != 1 {
		t.Fatalf("subjects: %+v", got)
	}
	if got := must(key.GetSubject(ctx, ws, subject))(t); got.DisplayName != "Customer 42" {
		t.Fatalf("subject: %+v", got)
	}

	tok := must(key.CreateBuildToken(ctx, ws, client.CreateBuildTokenRequest{
		Subject: subject, Permissions: []client.Permission{client.PermissionBuild, client.PermissionRead, client.PermissionManage}, TTL: "30m",
	}))(t)
	if !strings.HasPrefix(tok.BuildToken, "atk_") || tok.Token.Subject != subject {
		t.Fatalf("token: %+v", tok.Token)
	}
	if got := must(key.ListBuildTokens(ctx, ws, subject))(t); len(got) != 1 || got[0].ID != tok.Token.ID {
		t.Fatalf("tokens: %+v", got)
	}
	if got := must(key.ListBuildTokens(ctx, ws, ""))(t); len(got) != 1 {
		t.Fatalf("tokens: %+v", got)
	}
	if _, err := key.CreateBuildToken(ctx, ws, client.CreateBuildTokenRequest{Subject: subject, Permissions: []client.Permission{"root"}}); !errors.Is(err, client.ErrInvalid) {
		t.Fatalf("bad permission: %v, want ErrInvalid", err)
	}

	// The build token pushes; the API key reviews.
	build := newClient(t, srv.URL, tok.BuildToken)
	if me := must(build.WhoAmI(ctx))(t); me.Kind != client.CredentialBuildToken || me.CredentialID != tok.Token.ID || me.Workspace != ws ||
		me.Subject != subject || len(me.Permissions) != 3 || me.ExpiresAt == nil || !me.ExpiresAt.Equal(tok.Token.ExpiresAt) {
		t.Fatalf("build token WhoAmI: %+v", me)
	}
	const ext = "invoice-digest"
	pushed := must(build.PushExtension(ctx, ws, subject, pushRequest(t, ext, "1.0.0", "")))(t)
	if pushed.Version.Version != 1 || pushed.Version.State != client.StatePendingApproval || pushed.Extension.Name != ext {
		t.Fatalf("push: %+v", pushed)
	}
	bad := remotetest.Manifest(ext, "1.0.1") + "  - id: billing.deleteEverything\n    digest: sha256:00\n"
	_, err := build.PushExtension(ctx, ws, subject, pushRequest(t, ext, "1.0.1", bad))
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || len(apiErr.Diagnostics) == 0 || !errors.Is(err, client.ErrInvalid) {
		t.Fatalf("invalid push: %#v", err)
	}
	if _, err := build.ApproveVersion(ctx, ws, subject, ext, 1); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("a build token approving: %v, want ErrForbidden", err)
	}
	if got := must(build.ListExtensions(ctx, ws, subject))(t); len(got) != 1 || got[0].Name != ext {
		t.Fatalf("extensions: %+v", got)
	}
	if got := must(key.GetExtension(ctx, ws, subject, ext))(t); got.LatestVersion != 1 {
		t.Fatalf("extension: %+v", got)
	}
	detail := must(key.GetVersion(ctx, ws, subject, ext, 1))(t)
	if !strings.Contains(detail.Manifest, "name: "+ext) || !json.Valid(detail.Record) {
		t.Fatalf("version detail: %+v", detail)
	}
	if v := must(key.ApproveVersion(ctx, ws, subject, ext, 1))(t); v.State != client.StateActive || v.ApprovedBy == "" {
		t.Fatalf("approve: %+v", v)
	}
	if _, err := key.ApproveVersion(ctx, ws, subject, ext, 1); !errors.Is(err, client.ErrConflict) {
		t.Fatalf("approving twice: %v, want ErrConflict", err)
	}
	must(build.PushExtension(ctx, ws, subject, pushRequest(t, ext, "1.1.0", "")))(t)
	if v := must(key.RejectVersion(ctx, ws, subject, ext, 2, "posts to the wrong channel"))(t); v.State != client.StateRejected || v.RejectReason == "" {
		t.Fatalf("reject: %+v", v)
	}
	must(build.PushExtension(ctx, ws, subject, pushRequest(t, ext, "1.2.0", "")))(t)
	must(key.ApproveVersion(ctx, ws, subject, ext, 3))(t)
	if v := must(key.DisableExtension(ctx, ws, subject, ext))(t); v.State != client.StateDisabled || v.Version != 3 {
		t.Fatalf("disable: %+v", v)
	}
	if v := must(key.EnableExtension(ctx, ws, subject, ext))(t); v.State != client.StateActive {
		t.Fatalf("enable: %+v", v)
	}
	if v := must(key.RollbackExtension(ctx, ws, subject, ext, 1))(t); v.Version != 1 || v.State != client.StateActive {
		t.Fatalf("rollback: %+v", v)
	}
	versions := must(key.ListVersions(ctx, ws, subject, ext))(t)
	if len(versions) != 3 || versions[0].Version != 1 || versions[1].State != client.StateRejected {
		t.Fatalf("versions: %+v", versions)
	}

	// Namespace secrets and config, with the build token's manage permission.
	const secretValue = "xoxb-very-secret"
	if s := must(build.PutSecret(ctx, ws, subject, ext, "SLACK_TOKEN", secretValue))(t); s.Name != "SLACK_TOKEN" {
		t.Fatalf("secret: %+v", s)
	}
	if got := must(build.ListSecrets(ctx, ws, subject, ext))(t); len(got) != 1 || got[0].Name != "SLACK_TOKEN" {
		t.Fatalf("secrets: %+v", got)
	}
	must(build.PutConfig(ctx, ws, subject, ext, "channel", "#ops"))(t)
	if got := must(build.GetConfig(ctx, ws, subject, ext, "channel"))(t); got.Value != "#ops" {
		t.Fatalf("config: %+v", got)
	}
	if got := must(build.ListConfig(ctx, ws, subject, ext))(t); len(got) != 1 {
		t.Fatalf("config: %+v", got)
	}
	if err := build.DeleteConfig(ctx, ws, subject, ext, "channel"); err != nil {
		t.Fatal(err)
	}
	if _, err := build.GetConfig(ctx, ws, subject, ext, "channel"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("deleted config: %v, want ErrNotFound", err)
	}
	if err := build.DeleteSecret(ctx, ws, subject, ext, "SLACK_TOKEN"); err != nil {
		t.Fatal(err)
	}
	if got := must(build.ListSecrets(ctx, ws, subject, ext))(t); len(got) != 0 {
		t.Fatalf("secrets after delete: %+v", got)
	}

	// Audit: page through every record, then verify the chain.
	var all []client.AuditRecord
	var after int64
	for {
		page := must(key.ListAudit(ctx, ws, after, 5))(t)
		all = append(all, page.Records...)
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	if len(all) < 10 || all[0].Seq != 1 || len(all[1].PrevHash) == 0 {
		t.Fatalf("audit: %d records", len(all))
	}
	for _, r := range all {
		if strings.Contains(string(r.Details), secretValue) {
			t.Fatalf("audit record %d holds the secret value", r.Seq)
		}
	}
	ver := must(key.VerifyAudit(ctx, ws))(t)
	if !ver.OK || ver.Records != int64(len(all)) || ver.Broken != nil {
		t.Fatalf("verify: %+v, want ok over %d records", ver, len(all))
	}

	// Isolation: another workspace's key sees 404.
	other := must(admin.CreateWorkspace(ctx, "globex"))(t)
	otherKey := newClient(t, srv.URL, other.APIKey)
	if _, err := otherKey.GetWorkspace(ctx, ws); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("another workspace's key: %v, want ErrNotFound", err)
	}
	if _, err := otherKey.ListExtensions(ctx, ws, subject); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("another workspace's key: %v, want ErrNotFound", err)
	}

	// Revocation takes effect on the next request.
	if err := key.RevokeBuildToken(ctx, ws, tok.Token.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := build.ListExtensions(ctx, ws, subject); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("revoked token: %v, want ErrUnauthorized", err)
	}
	if _, err := build.WhoAmI(ctx); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("WhoAmI of a revoked token: %v, want ErrUnauthorized", err)
	}
	if err := key.RevokeAPIKey(ctx, ws, second.Key.ID); err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, srv.URL, second.APIKey).GetWorkspace(ctx, ws)
	if !errors.Is(err, client.ErrUnauthorized) || !errors.As(err, &apiErr) || apiErr.Detail == "" {
		t.Fatalf("revoked key: %v, want ErrUnauthorized with a detail", err)
	}

	if err := key.DeleteSubject(ctx, ws, subject); err != nil {
		t.Fatal(err)
	}
	if _, err := key.GetSubject(ctx, ws, subject); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("deleted subject: %v, want ErrNotFound", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://h", "http://", "http://u:p@h", "http://h/?q=1"} {
		if _, err := client.New(u, "adm_x"); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
	if _, err := client.New("http://h", "adm_x\nInjected: yes"); err == nil {
		t.Error("a credential with a newline was accepted")
	}
	c, err := client.New("https://forge.example.com/prefix/", "")
	if err != nil || c.BaseURL() != "https://forge.example.com/prefix" {
		t.Fatalf("New: %v, %v", c, err)
	}
}

func TestCanceledContext(t *testing.T) {
	srv := remotetest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := newClient(t, srv.URL, "").Health(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Health with a canceled context: %v", err)
	}
}

// TestImports keeps pkg/client on the standard library: it is public and
// must not pull in the CLI's dependencies (or anything internal).
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; pkg/client uses the standard library only", f, path)
			}
		}
	}
}

// TestPathEscaping: ids are escaped once, as one path segment each, below
// the base URL's prefix (itself kept as escaped).
func TestPathEscaping(t *testing.T) {
	paths := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.EscapedPath()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	for _, tc := range []struct{ base, ws, subject, want string }{
		{srv.URL, "ws1", "cus a/b?c%d", "/v1/workspaces/ws1/subjects/cus%20a%2Fb%3Fc%25d"},
		{srv.URL + "/forge%20api/", "w s", "ü", "/forge%20api/v1/workspaces/w%20s/subjects/%C3%BC"},
	} {
		if _, err := newClient(t, tc.base, "adm_x").GetSubject(t.Context(), tc.ws, tc.subject); err != nil {
			t.Fatal(err)
		}
		if got := <-paths; got != tc.want {
			t.Errorf("GetSubject(%q, %q) requested %s, want %s", tc.ws, tc.subject, got, tc.want)
		}
	}
}
