package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/server/servertest"

	"github.com/jackc/pgx/v5"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/postgres"
	"github.com/forgehq/forge/internal/store/sqlite"
	"github.com/forgehq/forge/internal/vault"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// env is a server running on a loopback listener over a real database.
type env struct {
	t      *testing.T
	url    string
	st     store.Store
	dbPath string // SQLite only
	driver string
	logs   *syncBuffer
	seen   *syncBuffer // every response body
	admin  string
	mk     *vault.MasterKey // the server's master key
	client *http.Client
}

// drivers returns the databases to run a test on: SQLite always,
// PostgreSQL when FORGE_TEST_POSTGRES_DSN is set.
func drivers() []string {
	if os.Getenv("FORGE_TEST_POSTGRES_DSN") != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// newEnv starts a server on driver; opts adjust its dependencies.
func newEnv(t *testing.T, driver string, opts ...func(*Deps)) *env {
	t.Helper()
	e := &env{t: t, driver: driver, logs: &syncBuffer{}, seen: &syncBuffer{}, client: &http.Client{}}
	ctx := context.WithoutCancel(t.Context())
	switch driver {
	case "sqlite":
		e.dbPath = filepath.Join(t.TempDir(), "forge.db")
		st, err := sqlite.Open(ctx, e.dbPath)
		if err != nil {
			t.Fatal(err)
		}
		e.st = st
	case "postgres":
		st, err := postgres.Open(ctx, pgSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		e.st = st
	}
	t.Cleanup(func() { _ = e.st.Close() })
	mk, _, err := vault.LoadOrCreateMasterKey(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	e.mk = mk
	deps := Deps{
		Store: e.st, MasterKey: mk,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&deps)
	}
	srv := New(deps)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx, ln) }()
	t.Cleanup(func() {
		e.client.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	e.admin, err = BootstrapAdmin(ctx, e.st, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// pgSchema creates a schema for the test on the PostgreSQL server and
// returns a DSN whose search_path points at it.
func pgSchema(t *testing.T) string {
	base := os.Getenv("FORGE_TEST_POSTGRES_DSN")
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "forge_server_test_" + hex.EncodeToString(b[:])
	ctx := context.WithoutCancel(t.Context())
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// resp is a response, read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// raw is a request body sent as is, with its content type.
type raw struct {
	contentType string
	body        []byte
}

// do sends a request with credential cred (none when empty). body is nil,
// a raw, or a value sent as JSON.
func (e *env) do(method, path, cred string, body any) *resp {
	e.t.Helper()
	var rd io.Reader = http.NoBody
	ct := ""
	switch b := body.(type) {
	case nil:
	case raw:
		rd, ct = bytes.NewReader(b.body), b.contentType
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = e.seen.Write(b)
	_, _ = e.seen.Write([]byte("\n"))
	if res.StatusCode >= 500 {
		e.t.Errorf("%s %s: %d (never a 5xx)\n%s", method, path, res.StatusCode, b)
	}
	if res.StatusCode >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		e.t.Errorf("%s %s: %d with content type %q, want application/problem+json", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

// must sends a request and fails unless the status is want.
func (e *env) must(want int, method, path, cred string, body any) *resp {
	e.t.Helper()
	r := e.do(method, path, cred, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, want, r.body)
	}
	return r
}

// workspace is a workspace created through the API, with what the tests
// use in it.
type workspace struct {
	id, key, signing string
}

func (e *env) newWorkspace(name string) workspace {
	e.t.Helper()
	m := e.must(http.StatusCreated, "POST", "/v1/workspaces", e.admin, map[string]any{"name": name}).obj(e.t)
	ws := m["workspace"].(map[string]any)
	return workspace{id: ws["id"].(string), key: m["apiKey"].(string), signing: m["signingSecret"].(string)}
}

func (w workspace) path(p string) string { return "/v1/workspaces/" + w.id + p }

func (w workspace) ext(subject, name, p string) string {
	return w.path("/subjects/" + subject + "/extensions/" + name + p)
}

// token creates a build token and returns it with its id.
func (e *env) token(w workspace, subject string, perms ...string) (plain, id string) {
	e.t.Helper()
	m := e.must(http.StatusCreated, "POST", w.path("/tokens"), w.key, map[string]any{"subject": subject, "permissions": perms}).obj(e.t)
	return m["buildToken"].(string), m["token"].(map[string]any)["id"].(string)
}

// --- a bundle that validates ------------------------------------------------------

// testRegistryDoc is the shared registry fixture as a push request body.
func testRegistryDoc() map[string]any {
	index, files := servertest.Registry()
	return map[string]any{"index": index, "files": files}
}

// setup is a workspace with a subject, the registry, the event types, a
// build token and one pushed extension (version 1, pending).
type setup struct {
	ws      workspace
	subject string
	ext     string
	token   string
	tokenID string
	keyID   string
}

func (e *env) setup(name string) setup {
	e.t.Helper()
	ws := e.newWorkspace(name)
	s := setup{ws: ws, subject: "cus_" + name, ext: "invoice-digest"}
	e.must(http.StatusCreated, "POST", ws.path("/subjects"), ws.key, map[string]any{"id": s.subject, "displayName": "Customer " + name})
	e.must(http.StatusOK, "PUT", ws.path("/registry"), ws.key, testRegistryDoc())
	e.must(http.StatusOK, "PUT", ws.path("/events"), ws.key, map[string]any{"types": []any{"invoice.created", map[string]any{"name": "invoice.paid", "description": "paid"}}})
	s.token, s.tokenID = e.token(ws, s.subject, "build", "read", "manage")
	e.must(http.StatusCreated, "POST", ws.path("/subjects/"+s.subject+"/extensions"), s.token, servertest.PushBody(s.ext, "1.0.0"))
	keys := e.must(http.StatusOK, "GET", ws.path("/keys"), ws.key, nil).obj(e.t)["keys"].([]any)
	s.keyID = keys[0].(map[string]any)["id"].(string)
	return s
}

// auditCount returns the number of audit records of a workspace.
func (e *env) auditCount(ws string) int {
	e.t.Helper()
	recs, err := e.st.ListAudit(e.t.Context(), ws, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(recs)
}

func (e *env) clockNow() time.Time { return time.Now() }
