package localrun

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/manifest"
)

func TestRecordReplay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello from "+r.URL.Path+" with "+r.URL.Query().Get("key"))
	}))
	defer srv.Close()
	rule, err := manifest.ParseEgress(srv.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "sk-live-12345"
	host, err := manifest.ParseHost(strings.TrimPrefix(srv.URL, "http://")[:len("127.0.0.1")])
	if err != nil {
		t.Fatal(err)
	}
	guard, err := egress.NewGuard(egress.GuardConfig{
		Rules: []manifest.Egress{rule}, AllowLoopback: true,
		Secrets: []egress.SecretBinding{{Name: "KEY", Value: secret, Hosts: []manifest.Host{host}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	redact := strings.NewReplacer(secret, "[secret KEY]")
	file := filepath.Join(t.TempDir(), "rec.json")
	rec := NewRecorder(file, guard, redact)

	get := func(c interface {
		Do(*http.Request) (*http.Response, error)
	}, url string,
	) (string, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	live, err := get(rec, srv.URL+"/api/items?key="+secret)
	if err != nil {
		t.Fatal(err)
	}
	if live != "hello from /api/items with "+secret {
		t.Fatalf("live body %q", live)
	}
	if err := rec.Save(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if strings.Contains(string(data), secret) || strings.Contains(string(data), "Bearer") {
		t.Fatalf("the recording holds the secret or request headers:\n%s", data)
	}

	rp, err := LoadReplay(file, guard, redact)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // replay needs no network
	replayed, err := get(rp, srv.URL+"/api/items?key="+secret)
	if err != nil {
		t.Fatal(err)
	}
	if replayed != "hello from /api/items with [secret KEY]" {
		t.Fatalf("replayed body %q", replayed)
	}
	// Each exchange answers once; anything else is not recorded.
	if _, err := get(rp, srv.URL+"/api/items?key="+secret); !errors.Is(err, ErrNotRecorded) {
		t.Fatalf("second replay: %v", err)
	}
	// The manifest's rules still apply with no network.
	if _, err := get(rp, "http://169.254.169.254/latest/"); !errors.Is(err, egress.ErrDenied) {
		t.Fatalf("undeclared host on replay: %v", err)
	}
}

func TestLoadReplayRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage.json": "{not json",
		"version.json": `{"version": 9, "exchanges": []}`,
		"unknown.json": `{"version": 1, "exchanges": [], "extra": 1}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadReplay(p, nil, strings.NewReplacer()); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := LoadReplay(filepath.Join(dir, "missing.json"), nil, strings.NewReplacer()); err == nil {
		t.Error("missing file accepted")
	}
}

func TestAssignmentsAndSecretsFile(t *testing.T) {
	m, err := ParseAssignments("secret", []string{"A=1", "B=x=y", "C="})
	if err != nil || m["A"] != "1" || m["B"] != "x=y" || m["C"] != "" {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := ParseAssignments("secret", []string{"novalue"}); err == nil {
		t.Fatal("missing = accepted")
	}
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte("# comment\nTOKEN = \"abc def\"\n\nOTHER='x'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSecretsFile(p)
	if err != nil || s["TOKEN"] != "abc def" || s["OTHER"] != "x" {
		t.Fatalf("%v %v", s, err)
	}
	if err := os.WriteFile(p, []byte("ok=1\nbroken line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSecretsFile(p); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Fatalf("want line 2 in %v", err)
	}
}

// TestLoadRefusedModuleIsInputError: a module the sandbox refuses is bad
// input (exit 2), like an unreadable manifest.
func TestLoadRefusedModuleIsInputError(t *testing.T) {
	dir := t.TempDir()
	manifest := "apiVersion: forge.dev/v1\nname: corrupt\nversion: 1.0.0\ndescription: x\nmodule:\n  wasm: module.wasm\ntriggers:\n  - name: daily\n    schedule:\n      cron: \"0 9 * * *\"\n"
	if err := os.WriteFile(filepath.Join(dir, "extension.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, module := range map[string][]byte{
		"truncated":      []byte("\x00as"),
		"forbidden-wasi": forbiddenImportModule(),
	} {
		if err := os.WriteFile(filepath.Join(dir, "module.wasm"), module, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(t.Context(), Options{Path: dir, CacheDir: filepath.Join(dir, "cache")})
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: %v is not an InputError", name, err)
		}
	}
}

// forbiddenImportModule is a module importing wasi_snapshot_preview1.path_open.
func forbiddenImportModule() []byte {
	mod := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	// type section: one type (i32 x9) -> i32, the signature of path_open
	types := []byte{1, 0x60, 9, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7e, 0x7e, 0x7f, 0x7f, 1, 0x7f}
	mod = append(mod, 1, byte(len(types)))
	mod = append(mod, types...)
	imp := []byte{1, 22}
	imp = append(imp, "wasi_snapshot_preview1"...)
	imp = append(imp, 9)
	imp = append(imp, "path_open"...)
	imp = append(imp, 0, 0)
	mod = append(mod, 2, byte(len(imp)))
	return append(mod, imp...)
}
