package egress

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/manifest"
)

// fakeResolver answers from a table and records every lookup; unknown
// names fail the lookup.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	asked   []string
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	ips, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, len(ips))
	for i, s := range ips {
		out[i] = net.IPAddr{IP: net.ParseIP(s)}
	}
	return out, nil
}

func (r *fakeResolver) lookups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.asked...)
}

// blockingResolver never answers before the context ends.
type blockingResolver struct{}

func (blockingResolver) LookupIPAddr(ctx context.Context, _ string) ([]net.IPAddr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// testServer is an httptest server on 127.0.0.1 that counts requests.
type testServer struct {
	*httptest.Server
	hits atomic.Int64
	port string
}

func newServer(t *testing.T, h http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	_, s.port, _ = net.SplitHostPort(s.Listener.Addr().String())
	return s
}

func okHandler(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }

func rules(t *testing.T, specs ...string) []manifest.Egress {
	t.Helper()
	var out []manifest.Egress
	for _, s := range specs {
		e, err := manifest.ParseEgress(s)
		if err != nil {
			t.Fatalf("ParseEgress(%q): %v", s, err)
		}
		out = append(out, e)
	}
	return out
}

func hosts(t *testing.T, names ...string) []manifest.Host {
	t.Helper()
	var out []manifest.Host
	for _, n := range names {
		h, err := manifest.ParseHost(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

func newGuard(t *testing.T, cfg GuardConfig) *Guard {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	g, err := NewGuard(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.CloseIdleConnections)
	return g
}

type reqOpt func(*http.Request)

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Add(k, v) } }

// send sends a request through g and returns the response body.
func send(t *testing.T, g *Guard, method, rawURL, body string, opts ...reqOpt) (string, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := g.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp, err
}

func wantErr(t *testing.T, err, kind error, parts ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want %v", err, kind)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// TestEscapeAddressLiterals: IP literals of non-public addresses are
// refused before any connection, even when a rule names them.
func TestEscapeAddressLiterals(t *testing.T) {
	srv := newServer(t, okHandler)
	res := &fakeResolver{}
	g := newGuard(t, GuardConfig{
		Rules: rules(t, "http://127.0.0.1:"+srv.port+"/", "http://10.0.0.1/", "http://169.254.169.254/",
			"http://[::1]:"+srv.port+"/", "http://[fd00:ec2::254]/", "http://100.64.0.1/", "http://[fc00::1]/", "http://224.0.0.1/", "http://0.0.0.0/"),
		Resolver: res,
	})
	cases := map[string]string{
		srv.URL + "/":                       "egress to 127.0.0.1 refused: 127.0.0.1 is a loopback address",
		"http://10.0.0.1/":                  "egress to 10.0.0.1 refused: 10.0.0.1 is a private (RFC 1918) address",
		"http://169.254.169.254/latest/":    "egress to 169.254.169.254 refused: 169.254.169.254 is a cloud metadata address",
		"http://[::1]:" + srv.port + "/":    "egress to ::1 refused: ::1 is a loopback address",
		"http://[fd00:ec2::254]/":           "cloud metadata address",
		"http://100.64.0.1/":                "private (CGNAT, RFC 6598)",
		"http://[fc00::1]/":                 "private (unique local)",
		"http://224.0.0.1/":                 "multicast",
		"http://0.0.0.0/":                   "unspecified",
		"http://[::ffff:127.0.0.1]/":        "IPv4-mapped IPv6 address (it is 127.0.0.1)",
		"http://[::ffff:7f00:1]/":           "IPv4-mapped IPv6 address (it is 127.0.0.1)",
		"http://[::ffff:169.254.169.254]/":  "IPv4-mapped IPv6 address (it is 169.254.169.254)",
		"http://[0:0::1]:" + srv.port + "/": "non-canonical IPv6 spelling",
		"http://[fe80::1%25eth0]/":          "zoned IPv6",
	}
	for u, want := range cases {
		t.Run(u, func(t *testing.T) {
			_, _, err := send(t, g, http.MethodGet, u, "")
			wantErr(t, err, ErrDenied, want)
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server reached %d times", n)
	}
	if l := res.lookups(); len(l) != 0 {
		t.Errorf("resolver asked for %v", l)
	}
}

// TestEscapeNumericHosts: decimal, hex, octal and short IPv4 spellings are
// refused by name, whatever they spell.
func TestEscapeNumericHosts(t *testing.T) {
	res := &fakeResolver{}
	g := newGuard(t, GuardConfig{Rules: rules(t, "http://127.0.0.1/", "http://*.example.com/"), Resolver: res, AllowLoopback: true})
	for host, is := range map[string]string{
		"2130706433": "127.0.0.1",
		"0x7f.1":     "127.0.0.1",
		"0x7f000001": "127.0.0.1",
		"0177.0.0.1": "127.0.0.1",
		"127.1":      "127.0.0.1",
		"127.0.0.1.": "127.0.0.1",
		"0xA9FEA9FE": "169.254.169.254",
		"3232235521": "192.168.0.1",
		"8.8.8.010":  "8.8.8.8",
		"134744072":  "8.8.8.8",
	} {
		t.Run(host, func(t *testing.T) {
			_, _, err := send(t, g, http.MethodGet, "http://"+host+"/", "")
			wantErr(t, err, ErrDenied, "numeric host spelling", "it is "+is)
		})
	}
	for _, host := range []string{"a.example.com.", "x.example.com.1", "x.example.com.0x1f", "x_y.example.com", "-a.example.com", "a..example.com"} {
		t.Run(host, func(t *testing.T) {
			_, _, err := send(t, g, http.MethodGet, "http://"+host+"/", "")
			wantErr(t, err, ErrDenied, "refused: ")
		})
	}
	if l := res.lookups(); len(l) != 0 {
		t.Errorf("resolver asked for %v", l)
	}
}

// TestEscapeUndeclaredHost: hosts, ports, schemes and paths outside the
// rules are refused without a DNS lookup.
func TestEscapeUndeclaredHost(t *testing.T) {
	srv := newServer(t, okHandler)
	res := &fakeResolver{answers: map[string][]string{"localhost": {"127.0.0.1"}}}
	g := newGuard(t, GuardConfig{
		Rules:         rules(t, "http://127.0.0.1:"+srv.port+"/api/", "https://api.example.com/v1", "https://*.hooks.example.com/"),
		Resolver:      res,
		AllowLoopback: true,
	})
	cases := map[string]string{
		"http://localhost:" + srv.port + "/api/":     "egress to localhost is not declared in the manifest",
		"https://evil.example.net/":                  "egress to evil.example.net is not declared",
		"https://example.com/":                       "egress to example.com is not declared",
		"https://hooks.example.com/":                 "egress to hooks.example.com is not declared",
		"https://api.example.com.evil.net/v1":        "egress to api.example.com.evil.net is not declared",
		"http://api.example.com/v1":                  "egress to http://api.example.com:80 is not declared in the manifest; api.example.com is declared only as https://api.example.com/v1",
		"https://api.example.com:8443/v1":            "egress to https://api.example.com:8443 is not declared",
		"https://api.example.com/v10":                "path /v10 is outside the declared path prefixes for api.example.com (https://api.example.com/v1)",
		"https://api.example.com/v1/../admin":        "dot segment",
		"https://api.example.com/v1/%2e%2e/admin":    "dot segment",
		"https://api.example.com/v1/x%2F..%2Fadmin":  "dot segment",
		"https://api.example.com/v1/..%5cadmin":      "dot segment",
		"ftp://api.example.com/v1":                   `scheme "ftp" is not allowed`,
		"https://user:pw@api.example.com/v1":         "user info",
		"http://127.0.0.1:" + srv.port + "/admin":    "path /admin is outside",
		"http://127.0.0.1:" + srv.port + "/api/../x": "dot segment",
	}
	for u, want := range cases {
		t.Run(u, func(t *testing.T) {
			_, _, err := send(t, g, http.MethodGet, u, "")
			wantErr(t, err, ErrDenied, want)
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server reached %d times", n)
	}
	if l := res.lookups(); len(l) != 0 {
		t.Errorf("resolver asked for %v: undeclared hosts must not even be resolved", l)
	}
	// The declared URL works.
	body, _, err := send(t, g, http.MethodGet, srv.URL+"/api/x", "")
	if err != nil || body != "ok" {
		t.Fatalf("allowed request: %q, %v", body, err)
	}
}

// TestAllowLoopbackOnlyLoopback: the testing switch opens 127/8 and ::1,
// nothing else.
func TestAllowLoopbackOnlyLoopback(t *testing.T) {
	g := newGuard(t, GuardConfig{AllowLoopback: true, Rules: rules(t, "http://10.0.0.1/", "http://169.254.169.254/", "http://192.168.1.1/", "http://[fe80::1]/")})
	for _, u := range []string{"http://10.0.0.1/", "http://169.254.169.254/", "http://192.168.1.1/", "http://[fe80::1]/"} {
		if err := g.Check(mustURL(t, u)); !errors.Is(err, ErrDenied) {
			t.Errorf("Check(%s) = %v, want ErrDenied", u, err)
		}
	}
	for addr, ok := range map[string]bool{
		"127.0.0.1:80": true, "127.9.9.9:80": true, "[::1]:80": true, "[::ffff:127.0.0.1]:80": true,
		"10.0.0.1:80": false, "[::2]:80": true, "0.0.0.0:80": false, "169.254.169.254:80": false, "[fe80::1]:80": false, "[::]:80": false,
	} {
		err := g.control("tcp", addr, nil)
		if ok && addr != "[::2]:80" && err != nil || !ok && !errors.Is(err, ErrDenied) {
			t.Errorf("control(%s) = %v", addr, err)
		}
	}
	strict := newGuard(t, GuardConfig{})
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "10.0.0.1:80", "[::ffff:169.254.169.254]:80"} {
		if err := strict.control("tcp", addr, nil); !errors.Is(err, ErrDenied) {
			t.Errorf("strict control(%s) = %v", addr, err)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDNSRebinding: a declared name that resolves to a non-public address
// is refused at dial time.
func TestDNSRebinding(t *testing.T) {
	srv := newServer(t, okHandler)
	res := &fakeResolver{answers: map[string][]string{
		"loop.test":     {"127.0.0.1"},
		"private.test":  {"10.0.0.1"},
		"metadata.test": {"::ffff:169.254.169.254"},
		"mixed.test":    {"93.184.216.34", "127.0.0.1"},
		"v6loop.test":   {"::1"},
	}}
	var rs []manifest.Egress
	for host := range res.answers {
		rs = append(rs, rules(t, "http://"+host+":"+srv.port+"/")...)
	}
	strict := newGuard(t, GuardConfig{Rules: rs, Resolver: res})
	for host, want := range map[string]string{
		"loop.test":     "egress to loop.test refused at dial time: it resolves to 127.0.0.1, a loopback address",
		"private.test":  "egress to private.test refused at dial time: it resolves to 10.0.0.1, a private (RFC 1918) address",
		"metadata.test": "egress to metadata.test refused at dial time: it resolves to 169.254.169.254, a cloud metadata address",
		"mixed.test":    "it resolves to 127.0.0.1, a loopback address",
		"v6loop.test":   "it resolves to ::1, a loopback address",
	} {
		u := "http://" + host + ":" + srv.port + "/"
		if err := strict.Check(mustURL(t, u)); err != nil {
			t.Fatalf("the rule should match %s: %v", u, err)
		}
		_, _, err := send(t, strict, http.MethodGet, u, "")
		wantErr(t, err, ErrDenied, want)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server reached %d times", n)
	}

	// The system resolver: localhost is loopback however it resolves.
	sys := newGuard(t, GuardConfig{Rules: rules(t, "http://localhost:"+srv.port+"/")})
	_, _, err := send(t, sys, http.MethodGet, "http://localhost:"+srv.port+"/", "")
	wantErr(t, err, ErrDenied, "egress to localhost refused at dial time: it resolves to", "a loopback address")

	loopback := newGuard(t, GuardConfig{Rules: rs, Resolver: res, AllowLoopback: true})
	body, _, err := send(t, loopback, http.MethodGet, "http://loop.test:"+srv.port+"/", "")
	if err != nil || body != "ok" {
		t.Fatalf("AllowLoopback, name resolving to 127.0.0.1: %q, %v", body, err)
	}
	for _, host := range []string{"private.test", "metadata.test"} {
		_, _, err = send(t, loopback, http.MethodGet, "http://"+host+":"+srv.port+"/", "")
		wantErr(t, err, ErrDenied, "refused at dial time")
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("server reached %d times, want 1", n)
	}
}

// TestDialTimeChecks exercises the dial-time layer directly, under the
// URL checks: IP literals and numeric spellings handed to the dialer.
func TestDialTimeChecks(t *testing.T) {
	res := &fakeResolver{}
	g := newGuard(t, GuardConfig{Resolver: res})
	ctx := context.Background()
	for addr, want := range map[string]string{
		"127.0.0.1:80":         "refused at dial time: 127.0.0.1 is a loopback address",
		"[::ffff:10.0.0.1]:80": "refused at dial time: 10.0.0.1 is a private (RFC 1918) address",
		"169.254.169.254:80":   "cloud metadata",
		"2130706433:80":        "numeric host spelling (it is 127.0.0.1)",
	} {
		conn, err := g.dialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
		}
		wantErr(t, err, ErrDenied, want)
	}
	if l := res.lookups(); len(l) != 0 {
		t.Errorf("resolver asked for %v", l)
	}
}

// TestRedirects: every hop is checked like the first request.
func TestRedirects(t *testing.T) {
	other := newServer(t, okHandler) // undeclared
	var mu sync.Mutex
	var seen []string // method, path and body of each request to the main server
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(b)+" "+r.Header.Get("Content-Type"))
		mu.Unlock()
		p := r.URL.Path
		switch {
		case p == "/api/to-undeclared":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case p == "/api/to-private":
			http.Redirect(w, r, "http://10.0.0.1/latest", http.StatusFound)
		case p == "/api/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
		case p == "/api/to-numeric":
			http.Redirect(w, r, "http://2130706433/", http.StatusFound)
		case p == "/api/to-rebind":
			_, port, _ := net.SplitHostPort(r.Host)
			http.Redirect(w, r, "http://rebind.test:"+port+"/api/final", http.StatusFound)
		case p == "/api/to-outside":
			http.Redirect(w, r, "/admin", http.StatusFound)
		case p == "/api/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case p == "/api/loop":
			http.Redirect(w, r, "/api/loop", http.StatusFound)
		case p == "/api/a":
			http.Redirect(w, r, "/api/b", http.StatusFound)
		case p == "/api/b":
			http.Redirect(w, r, "/api/a", http.StatusFound)
		case strings.HasPrefix(p, "/api/chain/"):
			var n int
			_, _ = fmt.Sscanf(p, "/api/chain/%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/api/chain/%d", n+1), http.StatusFound)
		case p == "/api/ok":
			http.Redirect(w, r, "/api/final", http.StatusFound)
		case p == "/api/307":
			http.Redirect(w, r, "/api/final", http.StatusTemporaryRedirect)
		case p == "/api/303":
			http.Redirect(w, r, "/api/final", http.StatusSeeOther)
		case p == "/api/final":
			_, _ = io.WriteString(w, "final")
		default:
			http.NotFound(w, r)
		}
	})
	res := &fakeResolver{answers: map[string][]string{"rebind.test": {"10.0.0.1"}}}
	g := newGuard(t, GuardConfig{
		Rules:         rules(t, srv.URL+"/api/", "http://rebind.test:"+srv.port+"/", "http://10.0.0.1/", "http://169.254.169.254/"),
		Resolver:      res,
		AllowLoopback: true,
		MaxRedirects:  5,
	})
	from := func(p string) string { return "redirect from " + srv.URL + p + " to " }
	cases := map[string][]string{
		"/api/to-undeclared": {from("/api/to-undeclared") + other.URL + "/ refused", "egress to " + other.URL + " is not declared in the manifest"},
		"/api/to-private":    {from("/api/to-private"), "10.0.0.1 is a private (RFC 1918) address"},
		"/api/to-metadata":   {from("/api/to-metadata"), "169.254.169.254 is a cloud metadata address"},
		"/api/to-numeric":    {"numeric host spelling"},
		"/api/to-rebind":     {"egress to rebind.test refused at dial time: it resolves to 10.0.0.1"},
		"/api/to-outside":    {from("/api/to-outside"), "path /admin is outside the declared path prefixes"},
		"/api/to-file":       {`scheme "file" is not allowed`},
		"/api/loop":          {"redirect loop"},
		"/api/a":             {"redirect from " + srv.URL + "/api/b to " + srv.URL + "/api/a refused: a redirect loop"},
	}
	for p, want := range cases {
		t.Run(p, func(t *testing.T) {
			_, _, err := send(t, g, http.MethodGet, srv.URL+p, "")
			wantErr(t, err, ErrDenied, want...)
		})
	}
	// The undeclared server has its own port, so it is undeclared even
	// with AllowLoopback.
	if n := other.hits.Load(); n != 0 {
		t.Errorf("undeclared server reached %d times", n)
	}
	if n := srv.hits.Load(); n != int64(len(cases)+1) { // a and b
		t.Errorf("main server reached %d times, want %d", n, len(cases)+1)
	}

	_, _, err := send(t, g, http.MethodGet, srv.URL+"/api/chain/0", "")
	wantErr(t, err, ErrLimit, "stopped after 5 redirects")

	body, resp, err := send(t, g, http.MethodGet, srv.URL+"/api/ok", "")
	if err != nil || body != "final" || resp.Request.URL.Path != "/api/final" {
		t.Fatalf("allowed redirect: %q, %v", body, err)
	}

	mu.Lock()
	seen = nil
	mu.Unlock()
	if body, _, err = send(t, g, http.MethodPost, srv.URL+"/api/307", "payload", withHeader("Content-Type", "text/plain")); err != nil || body != "final" {
		t.Fatalf("307: %q, %v", body, err)
	}
	if body, _, err = send(t, g, http.MethodPost, srv.URL+"/api/303", "payload", withHeader("Content-Type", "text/plain")); err != nil || body != "final" {
		t.Fatalf("303: %q, %v", body, err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"POST /api/307 payload text/plain", "POST /api/final payload text/plain",
		"POST /api/303 payload text/plain", "GET /api/final  ",
	}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("requests:\n got %q\nwant %q", seen, want)
	}
}

const secretValue = `s3cr3t+V4lue/"x"&=`

// TestSecrets: a secret's value, in any common form, reaches only the
// hosts it is bound to.
func TestSecrets(t *testing.T) {
	var mu sync.Mutex
	got := map[string]http.Header{} // host -> headers of the last request
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Host] = r.Header.Clone()
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		okHandler(w, r)
	})
	res := &fakeResolver{answers: map[string][]string{
		"bound.test": {"127.0.0.1"}, "a.wild.test": {"127.0.0.1"}, "unbound.test": {"127.0.0.1"},
	}}
	g := newGuard(t, GuardConfig{
		Rules:         rules(t, "http://bound.test:"+srv.port+"/", "http://*.wild.test:"+srv.port+"/", "http://unbound.test:"+srv.port+"/"),
		Secrets:       []SecretBinding{{Name: "TOKEN", Value: secretValue, Hosts: hosts(t, "bound.test", "*.wild.test")}, {Name: "EMPTY"}},
		Resolver:      res,
		AllowLoopback: true,
	})
	v := secretValue
	b64 := base64.StdEncoding.EncodeToString
	jsonBody, _ := json.Marshal(map[string]string{"token": v})
	type form struct {
		path, body, where string
		opts              []reqOpt
	}
	forms := map[string]form{
		"query":              {path: "/?key=" + url.QueryEscape(v), where: "URL"},
		"path":               {path: "/x/" + url.PathEscape(v), where: "URL"},
		"lowercase escapes":  {path: "/?key=" + regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(v), strings.ToLower), where: "URL"},
		"header":             {path: "/", where: "header X-Api-Key", opts: []reqOpt{withHeader("X-Api-Key", v)}},
		"bearer":             {path: "/", where: "header Authorization", opts: []reqOpt{withHeader("Authorization", "Bearer "+v)}},
		"basic auth":         {path: "/", where: "header Authorization", opts: []reqOpt{func(r *http.Request) { r.SetBasicAuth("me", v) }}},
		"basic auth as user": {path: "/", where: "header Authorization", opts: []reqOpt{func(r *http.Request) { r.SetBasicAuth(v, "") }}},
		"json body":          {path: "/", body: string(jsonBody), where: "body"},
		"form body":          {path: "/", body: "token=" + url.QueryEscape(v) + "&x=100%", where: "body"},
		"raw body":           {path: "/", body: "prefix " + v + " suffix", where: "body"},
		"base64 header":      {path: "/", where: "header X-Token", opts: []reqOpt{withHeader("X-Token", b64([]byte(v)))}},
		"base64url query":    {path: "/?t=" + base64.RawURLEncoding.EncodeToString([]byte(v)), where: "URL"},
		"base64 embedded 1":  {path: "/", body: b64([]byte("a" + v + "b")), where: "body"},
		"base64 embedded 2":  {path: "/", body: b64([]byte("ab:" + v)), where: "body"},
		"hex":                {path: "/", body: hex.EncodeToString([]byte(v)), where: "body"},
		"header name":        {path: "/", where: "header X-" + url.PathEscape("s3cr3t+V4lue"), opts: []reqOpt{withHeader("X-s3cr3t-V4lue-"+hex.EncodeToString([]byte(v)), "1")}},
	}
	delete(forms, "header name") // header names are checked, but canonicalisation makes that form awkward to assert
	for name, f := range forms {
		t.Run(name, func(t *testing.T) {
			_, _, err := send(t, g, http.MethodPost, "http://unbound.test:"+srv.port+f.path, f.body, f.opts...)
			wantErr(t, err, ErrDenied, `the request's `+f.where+` carries secret "TOKEN", which may be sent only to bound.test, *.wild.test, not to unbound.test`)
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error reveals the secret: %v", err)
			}
			for _, host := range []string{"bound.test", "a.wild.test"} {
				body, _, err := send(t, g, http.MethodPost, "http://"+host+":"+srv.port+f.path, f.body, f.opts...)
				if err != nil || body != "ok" {
					t.Errorf("to bound host %s: %q, %v", host, body, err)
				}
			}
		})
	}
	mu.Lock()
	_, reached := got["unbound.test:"+srv.port]
	mu.Unlock()
	if reached {
		t.Fatal("unbound host reached")
	}

	// Redirects: credentials headers are dropped when the origin changes;
	// a secret elsewhere refuses the hop.
	to := url.QueryEscape("http://unbound.test:" + srv.port + "/landing")
	body, _, err := send(t, g, http.MethodGet, "http://bound.test:"+srv.port+"/redirect?to="+to, "",
		withHeader("Authorization", "Bearer "+v), withHeader("Cookie", "s="+v), withHeader("X-Other", "kept"))
	if err != nil || body != "ok" {
		t.Fatalf("redirect with Authorization: %q, %v", body, err)
	}
	mu.Lock()
	h := got["unbound.test:"+srv.port]
	mu.Unlock()
	if h.Get("Authorization") != "" || h.Get("Cookie") != "" || h.Get("X-Other") != "kept" {
		t.Errorf("headers after a cross-origin redirect: %v", h)
	}

	_, _, err = send(t, g, http.MethodGet, "http://bound.test:"+srv.port+"/redirect?to="+to, "", withHeader("X-Api-Key", v))
	wantErr(t, err, ErrDenied, "redirect from http://bound.test:"+srv.port+"/redirect?… to http://unbound.test:"+srv.port+"/landing refused", `header X-Api-Key carries secret "TOKEN"`)

	leak := url.QueryEscape("http://unbound.test:" + srv.port + "/landing?t=" + url.QueryEscape(v))
	_, _, err = send(t, g, http.MethodGet, "http://bound.test:"+srv.port+"/redirect?to="+leak, "")
	wantErr(t, err, ErrDenied, `URL carries secret "TOKEN"`)

	// Same-origin redirect keeps Authorization.
	to = url.QueryEscape("http://a.wild.test:" + srv.port + "/landing")
	if _, _, err = send(t, g, http.MethodGet, "http://a.wild.test:"+srv.port+"/redirect?to="+to, "", withHeader("Authorization", "Bearer "+v)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	h = got["a.wild.test:"+srv.port]
	mu.Unlock()
	if h.Get("Authorization") != "Bearer "+v {
		t.Errorf("same-origin redirect dropped Authorization: %v", h)
	}
}

// TestSecretInBasicAuthShortValue: a value too short for the embedded
// base64 search is still found in decoded Basic credentials.
func TestSecretInBasicAuthShortValue(t *testing.T) {
	g := newGuard(t, GuardConfig{
		Rules:     rules(t, "https://api.example.com/"),
		Secrets:   []SecretBinding{{Name: "PW", Value: "hunter", Hosts: hosts(t, "auth.example.com")}},
		Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("must not be sent") }),
	})
	_, _, err := send(t, g, http.MethodGet, "https://api.example.com/", "", func(r *http.Request) { r.SetBasicAuth("a", "hunter") })
	wantErr(t, err, ErrDenied, `header Authorization carries secret "PW", which may be sent only to auth.example.com, not to api.example.com`)
}

// TestErrorsNeverRevealSecrets: messages name the secret, not its value.
func TestErrorsNeverRevealSecrets(t *testing.T) {
	g := newGuard(t, GuardConfig{
		Rules:   rules(t, "https://api.example.com/v1/"),
		Secrets: []SecretBinding{{Name: "KEY", Value: "hunter2hunter2", Hosts: hosts(t, "api.example.com")}},
	})
	for _, u := range []string{
		"https://api.example.com/v2/hunter2hunter2",
		"https://hunter2hunter2.example.com/",
		"https://evil.example/?k=hunter2hunter2",
		"ftp://api.example.com/hunter2hunter2",
	} {
		err := g.Check(mustURL(t, u))
		wantErr(t, err, ErrDenied)
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Check(%s) error reveals the secret: %v", u, err)
		}
	}
	err := g.Check(mustURL(t, "https://api.example.com/v2/hunter2hunter2"))
	wantErr(t, err, ErrDenied, "[secret KEY]")
}

// TestSizeCaps: request and response bodies over their caps.
func TestSizeCaps(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = io.WriteString(w, strings.Repeat("x", 2000))
		case "/stream":
			for range 20 {
				_, _ = io.WriteString(w, strings.Repeat("y", 100))
				w.(http.Flusher).Flush()
			}
		default:
			_, _ = io.WriteString(w, strings.Repeat("z", 1000))
		}
	})
	g := newGuard(t, GuardConfig{Rules: rules(t, srv.URL+"/"), AllowLoopback: true, MaxRequestBytes: 1000, MaxResponseBytes: 1000})

	_, _, err := send(t, g, http.MethodPost, srv.URL+"/", strings.Repeat("a", 1001))
	wantErr(t, err, ErrTooLarge, "request body to 127.0.0.1", "1000-byte cap")
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/", io.NopCloser(strings.NewReader(strings.Repeat("a", 5000)))) // length unknown
	_, err = g.Do(req)
	wantErr(t, err, ErrTooLarge, "request body to 127.0.0.1 is over the 1000-byte cap")
	_, _, err = send(t, g, http.MethodGet, srv.URL+"/", "", withHeader("X-Big", strings.Repeat("h", maxHeaderBytes)))
	wantErr(t, err, ErrTooLarge, "URL and headers")
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server reached %d times by oversized requests", n)
	}

	body, _, err := send(t, g, http.MethodPost, srv.URL+"/", strings.Repeat("a", 1000))
	if err != nil || len(body) != 1000 {
		t.Fatalf("at the caps: %d bytes, %v", len(body), err)
	}
	_, _, err = send(t, g, http.MethodGet, srv.URL+"/big", "")
	wantErr(t, err, ErrTooLarge, "response from 127.0.0.1 declares 2000 bytes, over the 1000-byte cap")
	body, _, err = send(t, g, http.MethodGet, srv.URL+"/stream", "")
	wantErr(t, err, ErrTooLarge, "response from 127.0.0.1 is over the 1000-byte cap")
	if len(body) != 1000 {
		t.Errorf("read %d bytes before the cap error, want 1000", len(body))
	}
}

// TestTimeouts: a stalling server or resolver hits ErrLimit.
func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/partial" {
			_, _ = io.WriteString(w, "part")
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	g := newGuard(t, GuardConfig{Rules: rules(t, srv.URL+"/"), AllowLoopback: true, Timeout: 200 * time.Millisecond})

	_, _, err := send(t, g, http.MethodGet, srv.URL+"/stall", "")
	wantErr(t, err, ErrLimit, "no response from 127.0.0.1 within 200ms")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout does not wrap context.DeadlineExceeded: %v", err)
	}
	body, _, err := send(t, g, http.MethodGet, srv.URL+"/partial", "")
	wantErr(t, err, ErrLimit, "response from 127.0.0.1 not complete within 200ms")
	if body != "part" {
		t.Errorf("body before the timeout: %q", body)
	}

	slowDNS := newGuard(t, GuardConfig{Rules: rules(t, "https://slow.test/"), Resolver: blockingResolver{}, ConnectTimeout: 100 * time.Millisecond})
	_, _, err = send(t, slowDNS, http.MethodGet, "https://slow.test/", "")
	wantErr(t, err, ErrLimit, "resolving slow.test timed out after 100ms")
}

// TestRequestShape: what the guard refuses about the request itself.
func TestRequestShape(t *testing.T) {
	srv := newServer(t, okHandler)
	g := newGuard(t, GuardConfig{Rules: rules(t, srv.URL+"/"), AllowLoopback: true})
	_, _, err := send(t, g, http.MethodGet, srv.URL+"/", "", func(r *http.Request) { r.Host = "internal.corp" })
	wantErr(t, err, ErrDenied, `the Host header "internal.corp" differs`)
	_, _, err = send(t, g, http.MethodConnect, srv.URL+"/", "")
	wantErr(t, err, ErrDenied, "CONNECT")
	if _, err = g.Do(nil); !errors.Is(err, ErrDenied) {
		t.Errorf("Do(nil) = %v", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server reached %d times", n)
	}
	// A refused connection is unavailable, not denied.
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	g2 := newGuard(t, GuardConfig{Rules: rules(t, "http://"+addr+"/"), AllowLoopback: true})
	_, _, err = send(t, g2, http.MethodGet, "http://"+addr+"/", "")
	wantErr(t, err, ErrUnavailable, "request to 127.0.0.1 failed")
	if errors.Is(err, ErrDenied) {
		t.Errorf("connection refused reported as denied: %v", err)
	}
}

// TestTransportOverride: with a Transport set, rules, secrets and caps
// still apply.
func TestTransportOverride(t *testing.T) {
	var calls atomic.Int64
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("replayed")), Header: http.Header{}, Request: r}, nil
	})
	g := newGuard(t, GuardConfig{
		Rules: rules(t, "https://api.example.com/"), Transport: rt,
		Secrets: []SecretBinding{{Name: "K", Value: "abcdefgh123"}},
	})
	body, _, err := send(t, g, http.MethodGet, "https://api.example.com/x", "")
	if err != nil || body != "replayed" {
		t.Fatalf("%q, %v", body, err)
	}
	_, _, err = send(t, g, http.MethodGet, "https://other.example.com/", "")
	wantErr(t, err, ErrDenied, "not declared")
	_, _, err = send(t, g, http.MethodGet, "https://api.example.com/?k=abcdefgh123", "")
	wantErr(t, err, ErrDenied, `secret "K", which may be sent only to no host`)
	if calls.Load() != 1 {
		t.Errorf("transport called %d times", calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewGuardRejectsBadConfig(t *testing.T) {
	bad := []GuardConfig{
		{MaxRequestBytes: -1},
		{Timeout: -time.Second},
		{Rules: []manifest.Egress{{Scheme: "ftp", Host: "a.example", Port: 21}}},
		{Rules: []manifest.Egress{{Scheme: "https", Host: "a.example", Port: 0}}},
		{Rules: []manifest.Egress{{Scheme: "https", Host: "*.example.com", Port: 443}}}, // Wildcard flag missing
		{Rules: []manifest.Egress{{Scheme: "https", Host: "a.example", Port: 443, PathPrefix: "x"}}},
	}
	for i, c := range bad {
		if _, err := NewGuard(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

// BenchmarkSecretScan: the secret check of a 10 MiB body (the default cap)
// that needs percent-decoding, with ten secrets none of which it carries.
func BenchmarkSecretScan(b *testing.B) {
	var secrets []SecretBinding
	for i := range 10 {
		secrets = append(secrets, SecretBinding{Name: fmt.Sprint("S", i), Value: fmt.Sprintf("secret-value-%02d-abcdef", i)})
	}
	g, err := NewGuard(GuardConfig{Secrets: secrets})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(strings.Repeat("name=some+text&value=100%25&", 10<<20/28))
	h := hop{method: http.MethodPost, url: &url.URL{Scheme: "https", Host: "api.example.com", Path: "/"}, header: http.Header{}, body: body}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := g.checkSecrets("api.example.com", h); err != nil {
			b.Fatal(err)
		}
	}
}
