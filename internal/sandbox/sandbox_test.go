package sandbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/manifest"
)

// loopbackClient sends every request to srv, whatever its URL, keeping the
// path: it stands for the egress guard, which is tested in internal/egress.
type loopbackClient struct {
	srv  *httptest.Server
	deny func(*http.Request) error
}

func (c loopbackClient) Do(req *http.Request) (*http.Response, error) {
	if c.deny != nil {
		if err := c.deny(req); err != nil {
			return nil, err
		}
	}
	u, _ := url.Parse(c.srv.URL)
	r2 := req.Clone(req.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = u.Scheme, u.Host, req.URL.Host
	return c.srv.Client().Do(r2)
}

type byteReader byte

func (b byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestFullSDKGuest runs pkg/sdk/testdata/full, which uses every feature of
// the SDK, through Invoke with in-memory state, map secrets and a loopback
// HTTP server.
func TestFullSDKGuest(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.Host+r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(body))
		w.Header().Set("X-Request-Id", "r-9")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	client := loopbackClient{srv: srv, deny: func(r *http.Request) error {
		if strings.HasSuffix(r.URL.Path, "/ping") {
			return fmt.Errorf("%w: egress to hooks.example.com/ping is not declared", egress.ErrDenied)
		}
		return nil
	}}

	r := newRuntime(t, Config{})
	m := compile(t, r, guest(t, "../../pkg/sdk/testdata/full"))
	if tr := m.Triggers(); len(tr) != 2 || tr[0] != "weekly" || tr[1] != "invoice_created" {
		t.Fatalf("Triggers() = %v", tr)
	}
	ns := Namespace{"acme", "cust-1", "full"}
	state := NewMemState()
	clock := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	base := Invocation{
		Namespace: ns,
		Secrets:   MapSecrets{ns: {"SLACK_TOKEN": "xoxb-secret-1"}},
		State:     state,
		Config:    map[string]string{"channel": "#billing", "verbose": "true"},
		HTTP:      client,
		Clock:     func() time.Time { return clock },
		Random:    byteReader(0xab),
	}

	inv := base
	inv.Trigger, inv.Event = "invoice_created", json.RawMessage(`{"id":"inv_42","amount":1200}`)
	res, err := m.Invoke(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed || !strings.Contains(string(res.Output), "denied: egress to hooks.example.com/ping is not declared") {
		t.Errorf("invoice_created: failed=%v output=%q", res.Failed, res.Output)
	}
	if v, ok, _ := state.Get(ns, "invoice/inv_42"); !ok || string(v) != `{"id":"inv_42","amount":1200}` {
		t.Errorf("state invoice/inv_42 = %q %v", v, ok)
	}
	if len(res.HTTPCalls) != 2 || res.HTTPCalls[0].Status != 200 || res.HTTPCalls[0].Host != "hooks.example.com" ||
		res.HTTPCalls[1].Error == "" || res.HTTPCalls[0].BytesReceived != 11 {
		t.Errorf("HTTPCalls = %+v", res.HTTPCalls)
	}

	inv = base
	sched := clock
	inv.Trigger, inv.ScheduledAt = "weekly", &sched
	got = nil
	res, err = m.Invoke(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed {
		t.Fatalf("weekly failed: %s (logs %v)", res.Output, res.Logs)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatalf("output %q: %v", res.Output, err)
	}
	if out["posted"] != true || out["invoices"] != 1.0 || out["total"] != 1200.0 || out["nonce"] != "abababababababab" {
		t.Errorf("output = %v", out)
	}
	if v, _, _ := state.Get(ns, "last_run"); string(v) != "2025-06-02T09:00:00Z" {
		t.Errorf("last_run = %q", v)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "POST slack.com/api/chat.postMessage Bearer xoxb-secret-1 ") {
		t.Errorf("server saw %q", got)
	}
	if len(res.HTTPCalls) != 1 || res.HTTPCalls[0].Method != "POST" || res.HTTPCalls[0].URL != "https://slack.com/api/chat.postMessage" {
		t.Errorf("HTTPCalls = %+v", res.HTTPCalls)
	}
	logs := fmt.Sprint(res.Logs)
	for _, want := range []string{"{info trigger weekly scheduled at 2025-06-02T09:00:00Z}", "{debug no region configured}", "{info limit=10 timeout=5s}"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q: %s", want, logs)
		}
	}
	if res.PeakMemoryBytes <= 0 || res.Duration <= 0 {
		t.Errorf("peak memory %d, duration %s", res.PeakMemoryBytes, res.Duration)
	}
}

func TestHandlerFailureAndExit(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	res, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "fail"})
	if err != nil || !res.Failed || res.Code != 1 || string(res.Output) != "something broke" {
		t.Errorf("fail: %+v, %v", res, err)
	}
	res, err = m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "exit"})
	if err != nil || !res.Failed || string(res.Output) != "exit status 3" {
		t.Errorf("exit: %+v, %v", res, err)
	}
	if _, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "nope"}); err == nil || !strings.Contains(err.Error(), `no handler for trigger "nope"`) {
		t.Errorf("unknown trigger: %v", err)
	}
}

// TestNoHTTPClient: without a client every request is denied, and counted.
func TestNoHTTPClient(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	res, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "http", Event: json.RawMessage(`"https://example.com/"`)})
	if err != nil || !res.Failed || !strings.Contains(string(res.Output), "call 1: forge: http GET https://example.com/: denied: outbound HTTP is not enabled") || len(res.HTTPCalls) != 1 {
		t.Errorf("res %+v (%s), err %v", res, res.Output, err)
	}
}

func TestHTTPLimits(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write(big)
		}
	}))
	defer srv.Close()
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	inv := Invocation{Namespace: localNS, Trigger: "http", HTTP: loopbackClient{srv: srv}, Limits: Limits{HTTPCalls: 3}}

	inv.Event = json.RawMessage(`"https://api.example.com/small"`)
	res, err := m.Invoke(context.Background(), inv)
	var le *LimitError
	if !errors.As(err, &le) || err.Error() != "limit exceeded: http-calls (3)" {
		t.Fatalf("err = %v", err)
	}
	if len(res.HTTPCalls) != 4 || res.HTTPCalls[2].Status != 200 || res.HTTPCalls[3].Error == "" {
		t.Errorf("HTTPCalls = %+v", res.HTTPCalls)
	}
	if !strings.Contains(string(res.Output), "call 4: forge: http GET https://api.example.com/small: limit_exceeded: limit exceeded: http-calls (3)") {
		t.Errorf("output %q", res.Output)
	}

	inv.Event, inv.Limits = json.RawMessage(`"https://api.example.com/big"`), Limits{ResponseBytes: 1024}
	_, err = m.Invoke(context.Background(), inv)
	if err == nil || err.Error() != "limit exceeded: response (1KiB)" {
		t.Errorf("err = %v", err)
	}
}

// TestResponseLimitThroughGuard: when the egress guard caps the response
// too (localrun sets its MaxResponseBytes to Limits.ResponseBytes), its
// refusal is the invocation's response limit, whether the response declares
// its length or streams past the cap.
func TestResponseLimitThroughGuard(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		_, _ = w.Write(big)
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	g, err := egress.NewGuard(egress.GuardConfig{
		Rules:         []manifest.Egress{{Scheme: "http", Host: "127.0.0.1", Port: port, PathPrefix: "/"}},
		AllowLoopback: true, MaxResponseBytes: 1024,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	for _, path := range []string{"/declared", "/stream"} {
		ev, _ := json.Marshal(srv.URL + path)
		res, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "http", Event: ev, HTTP: g, Limits: Limits{ResponseBytes: 1024}})
		var le *LimitError
		if !errors.As(err, &le) || err.Error() != "limit exceeded: response (1KiB)" {
			t.Errorf("%s: err = %v, want limit exceeded: response (1KiB)", path, err)
		}
		if res == nil || len(res.Limits) != 1 || res.Limits[0].Limit != LimitResponse {
			t.Errorf("%s: Result.Limits = %+v", path, res)
		} else if !strings.Contains(string(res.Output), "call 1: forge: http GET "+srv.URL+path+": too_large: limit exceeded: response (1KiB)") {
			t.Errorf("%s: output %q", path, res.Output)
		}
	}
}

func TestOutputAndStateLimits(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	_, err := m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "secrets", Limits: Limits{OutputBytes: 16}})
	if err == nil || err.Error() != "limit exceeded: output (16B)" {
		t.Errorf("output: %v", err)
	}
	_, err = m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "state", State: NewMemState(), Limits: Limits{StateKeys: 2}})
	if err == nil || err.Error() != "limit exceeded: state (2 keys)" {
		t.Errorf("state keys: %v", err)
	}
	_, err = m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "state", State: NewMemState(), Limits: Limits{StateTotalBytes: 30}})
	if err == nil || err.Error() != "limit exceeded: state (total 30B)" {
		t.Errorf("state total: %v", err)
	}
	_, err = m.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "state", State: NewMemState(), Limits: Limits{StateValueBytes: 4}})
	if err == nil || err.Error() != "limit exceeded: state (value 4B)" {
		t.Errorf("state value: %v", err)
	}
}

// TestWASIStubs calls each stubbed or fd-taking WASI function from a
// hand-assembled guest and checks the errno of docs/abi.md section 4.
func TestWASIStubs(t *testing.T) {
	type call struct {
		fn     string
		params []byte
		args   []byte
		want   int32
	}
	i32x := func(n int) []byte { return bytes.Repeat([]byte{i32}, n) }
	calls := map[string]call{
		"prestat_3":     {"fd_prestat_get", i32x(2), cat(i32const(3), i32const(0)), 8},
		"prestat_0":     {"fd_prestat_get", i32x(2), cat(i32const(0), i32const(0)), 8},
		"dirname":       {"fd_prestat_dir_name", i32x(3), cat(i32const(3), i32const(0), i32const(0)), 8},
		"fdstat_1":      {"fd_fdstat_get", i32x(2), cat(i32const(1), i32const(0)), 0},
		"fdstat_5":      {"fd_fdstat_get", i32x(2), cat(i32const(5), i32const(0)), 8},
		"setflags_1":    {"fd_fdstat_set_flags", i32x(2), cat(i32const(1), i32const(0)), 58},
		"setflags_9":    {"fd_fdstat_set_flags", i32x(2), cat(i32const(9), i32const(0)), 8},
		"close_2":       {"fd_close", i32x(1), i32const(2), 0},
		"close_3":       {"fd_close", i32x(1), i32const(3), 8},
		"write_5":       {"fd_write", i32x(4), cat(i32const(5), i32const(0), i32const(0), i32const(0)), 8},
		"clock_bad":     {"clock_time_get", []byte{i32, i64, i32}, cat(i32const(7), []byte{0x42, 0}, i32const(0)), 28},
		"clock_mono":    {"clock_time_get", []byte{i32, i64, i32}, cat(i32const(1), []byte{0x42, 0}, i32const(0)), 0},
		"environ_sizes": {"environ_sizes_get", i32x(2), cat(i32const(0), i32const(4)), 0},
	}
	m := newAsm()
	void := m.typ(nil, nil)
	ret32 := m.typ(nil, []byte{i32})
	idx := map[string]int{}
	names := []string{}
	for name, c := range calls {
		names = append(names, name)
		if _, ok := idx[c.fn]; !ok {
			idx[c.fn] = m.importFunc("wasi_snapshot_preview1", c.fn, m.typ(c.params, []byte{i32}))
		}
	}
	m.export("memory", 2, 0)
	m.export("_initialize", 0, m.fn(void, nil))
	m.export("forge_abi_version", 0, m.fn(ret32, nil, i32const(1)...))
	for _, name := range names {
		c := calls[name]
		m.export("forge_on_"+name, 0, m.fn(ret32, nil, cat(c.args, []byte{0x10}, appendU32(nil, uint32(idx[c.fn])))...))
	}
	r := newRuntime(t, Config{})
	mod := compile(t, r, m.bytes())
	for _, name := range names {
		res, err := mod.Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: name})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res.Code != calls[name].want {
			t.Errorf("%s: %s = %d, want %d", name, calls[name].fn, res.Code, calls[name].want)
		}
	}
}

func TestABIVersionRefused(t *testing.T) {
	m, ret32 := abiModule(2, nil)
	m.export("forge_on_x", 0, m.fn(ret32, nil, i32const(0)...))
	r := newRuntime(t, Config{})
	_, err := compile(t, r, m.bytes()).Invoke(context.Background(), Invocation{Namespace: localNS, Trigger: "x"})
	var ve *ABIVersionError
	if !errors.As(err, &ve) || ve.Version != 2 {
		t.Errorf("err = %v", err)
	}
}

func TestCompileSameBytesOnce(t *testing.T) {
	r := newRuntime(t, Config{CacheDir: "-"})
	m, ret32 := abiModule(1, nil)
	m.export("forge_on_x", 0, m.fn(ret32, nil, i32const(0)...))
	a, b := compile(t, r, m.bytes()), compile(t, r, m.bytes())
	if a != b {
		t.Error("same bytes compiled twice")
	}
	if r.CacheDir() != "" {
		t.Errorf("CacheDir() = %q with \"-\"", r.CacheDir())
	}
}

// TestSecretsRedacted: a guest that logs its secret, prints it to stdout,
// sends it URL-escaped in a query and a path and in a JSON body, and writes
// it to its output hex-, base64- and URL-encoded, is reported with the value
// replaced everywhere, in every encoding; HTTP calls are recorded without
// their query.
func TestSecretsRedacted(t *testing.T) {
	r := newRuntime(t, Config{})
	m := compile(t, r, escapeGuest(t))
	const value = "sk/live+do-not=print<x>"
	res, err := m.Invoke(context.Background(), Invocation{
		Namespace: localNS, Trigger: "leak",
		Secrets: MapSecrets{localNS: {"MINE": value}},
		HTTP:    echoErrorClient{},
	})
	if err != nil {
		t.Fatal(err)
	}
	calls, err := json.Marshal(res.HTTPCalls)
	if err != nil {
		t.Fatal(err)
	}
	report := fmt.Sprintf("%+v %s %s", res, res.Output, calls)
	for _, form := range secretForms(value) {
		if strings.Contains(report, form) {
			t.Errorf("the secret is in the result as %q:\n%s", form, report)
		}
	}
	logs := fmt.Sprint(res.Logs)
	if !strings.Contains(logs, "the secret is [secret MINE]") || !strings.Contains(logs, "stdout: [secret MINE]") {
		t.Fatalf("logs were not redacted as expected: %s", logs)
	}
	want := []string{"https://api.example.com/?…", "https://api.example.com/[secret MINE]?…", "https://api.example.com/post"}
	if len(res.HTTPCalls) != len(want) {
		t.Fatalf("HTTP calls = %+v", res.HTTPCalls)
	}
	for i, c := range res.HTTPCalls {
		if c.URL != want[i] {
			t.Errorf("HTTP call %d URL = %q, want %q", i, c.URL, want[i])
		}
	}
}

// secretForms are the encodings of v a report must not contain.
func secretForms(v string) []string {
	j, _ := json.Marshal(v)
	return []string{
		v, url.QueryEscape(v), url.PathEscape(v), strings.ToLower(url.QueryEscape(v)),
		string(j[1 : len(j)-1]), hex.EncodeToString([]byte(v)),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.URLEncoding.EncodeToString([]byte(v)),
		base64.StdEncoding.EncodeToString([]byte("user:" + v)),
	}
}

// echoErrorClient fails every request with an error that carries its URL
// and body, as a careless transport would.
type echoErrorClient struct{}

func (echoErrorClient) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	return nil, fmt.Errorf("upstream refused %s with body %s", req.URL, body)
}
