package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forgehq/forge/internal/manifest"
)

// Sentinel errors of the guard. Every error Guard.Do returns wraps exactly
// one of them (errors.Is), with a message that names the host, URL or rule
// concerned and never contains a secret value.
var (
	// ErrDenied: not allowed by the egress rules, a non-public address
	// (as written or as resolved), a numeric or otherwise odd host spelling,
	// a secret sent to a host it is not bound to, or a bad redirect.
	ErrDenied = errors.New("egress denied")
	// ErrTooLarge: the request or the response is over its size cap.
	ErrTooLarge = errors.New("egress: too large")
	// ErrResponseTooLarge is also wrapped, with ErrTooLarge, when it is the
	// response body that is over MaxResponseBytes (declared or read).
	ErrResponseTooLarge = errors.New("egress: response too large")
	// ErrLimit: a limit other than size was reached: the connect or total
	// timeout, or the number of redirects. Timeouts also wrap
	// context.DeadlineExceeded.
	ErrLimit = errors.New("egress: limit exceeded")
	// ErrUnavailable: a failure outside the caller's control that no rule
	// caused: DNS, connection refused or reset, TLS.
	ErrUnavailable = errors.New("egress: unavailable")
)

// Defaults for zero GuardConfig fields; they match the limits in docs/abi.md.
const (
	DefaultMaxRequestBytes  = 10 << 20
	DefaultMaxResponseBytes = 10 << 20
	DefaultConnectTimeout   = 10 * time.Second
	DefaultTimeout          = 10 * time.Second
	DefaultMaxRedirects     = 10
)

// maxHeaderBytes caps the request's URL and headers together, and the
// response headers.
const maxHeaderBytes = 1 << 20

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// SecretBinding is a secret value and the hosts it may be sent to (the
// manifest's secrets[].hosts). A request to any other host that carries the
// value is refused.
type SecretBinding struct {
	Name  string // for messages; the value never appears in one
	Value string
	Hosts []manifest.Host
}

// GuardConfig configures a Guard. Zero sizes, timeouts and redirect counts
// take the Default values.
type GuardConfig struct {
	// Rules are the manifest's egress entries; a request must match one.
	// No rules: nothing is allowed.
	Rules []manifest.Egress
	// Secrets are the values to keep to their hosts. Empty values are
	// ignored. A value is also found URL-escaped, JSON-escaped, in hex, in
	// base64 (alone or inside a longer base64 string) and in Basic
	// credentials, so very short values refuse requests that merely
	// contain the same characters.
	Secrets []SecretBinding
	// AllowLoopback is forge run --allow-private-egress: it opens exactly
	// 127.0.0.0/8 and ::1 (not 10/8, link-local or any other range), and
	// only for hosts the rules allow. The server never sets it.
	AllowLoopback bool
	// MaxRequestBytes caps the request body; MaxResponseBytes the response
	// body (after transparent decompression).
	MaxRequestBytes  int64
	MaxResponseBytes int64
	// ConnectTimeout bounds DNS resolution, the TCP connect and the TLS
	// handshake of one connection; Timeout the whole exchange, redirects
	// and reading the response body included.
	ConnectTimeout time.Duration
	Timeout        time.Duration
	// MaxRedirects is the number of redirects followed (default 10, as
	// docs/abi.md promises); a negative value follows none and returns the
	// 3xx response.
	MaxRedirects int
	// Resolver resolves host names; nil means net.DefaultResolver. The
	// guard checks every address it returns and dials only those.
	Resolver Resolver
	// Transport, when set, replaces the guard's own dialer: the rule,
	// redirect, secret and size checks still apply, the address checks at
	// dial time do not. For replaying a recording in the CLI and for tests
	// only.
	Transport http.RoundTripper
	// WrapTransport, when set (and Transport is not), wraps the guard's own
	// transport: every check applies, and the wrapper sees each request the
	// guard sends (every hop of a redirect chain) and its response before
	// the response size cap. For recording in the CLI.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Guard sends HTTP requests for an extension: only to the URLs its rules
// allow, never to a non-public address whatever DNS answers, with secrets
// kept to their hosts and every redirect checked like the first request.
// A Guard is safe for concurrent use.
type Guard struct {
	rules          []manifest.Egress
	secrets        []secret
	redactor       *Redactor
	allowLoopback  bool
	maxReq         int64
	maxResp        int64
	connectTimeout time.Duration
	timeout        time.Duration
	maxRedirects   int
	resolver       Resolver
	rt             http.RoundTripper
	own            *http.Transport
}

// NewGuard checks cfg and returns a Guard.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	g := &Guard{
		allowLoopback:  cfg.AllowLoopback,
		maxReq:         orDefault(cfg.MaxRequestBytes, DefaultMaxRequestBytes),
		maxResp:        orDefault(cfg.MaxResponseBytes, DefaultMaxResponseBytes),
		connectTimeout: orDefault(cfg.ConnectTimeout, DefaultConnectTimeout),
		timeout:        orDefault(cfg.Timeout, DefaultTimeout),
		maxRedirects:   orDefault(cfg.MaxRedirects, DefaultMaxRedirects),
		resolver:       cfg.Resolver,
	}
	if g.maxReq < 0 || g.maxResp < 0 || g.connectTimeout < 0 || g.timeout < 0 {
		return nil, errors.New("egress: negative size cap or timeout")
	}
	for i, r := range cfg.Rules {
		r.Scheme = strings.ToLower(r.Scheme)
		r.Host = strings.ToLower(r.Host)
		if r.PathPrefix == "" {
			r.PathPrefix = "/"
		}
		switch {
		case r.Scheme != "http" && r.Scheme != "https":
			return nil, fmt.Errorf("egress rule %d (%s): scheme %q is not http or https", i+1, r.Raw, r.Scheme)
		case r.Port < 1 || r.Port > 65535:
			return nil, fmt.Errorf("egress rule %d (%s): port %d out of range 1-65535", i+1, r.Raw, r.Port)
		case r.Host == "" || r.Wildcard != strings.HasPrefix(r.Host, "*.") || !r.Wildcard && strings.Contains(r.Host, "*"):
			return nil, fmt.Errorf("egress rule %d (%s): invalid host %q", i+1, r.Raw, r.Host)
		case !strings.HasPrefix(r.PathPrefix, "/"):
			return nil, fmt.Errorf("egress rule %d (%s): path prefix %q does not start with /", i+1, r.Raw, r.PathPrefix)
		}
		if r.Raw == "" {
			r.Raw = r.String()
		}
		g.rules = append(g.rules, r)
	}
	for _, s := range cfg.Secrets {
		if s.Value != "" {
			g.secrets = append(g.secrets, newSecret(s))
		}
	}
	g.redactor = NewRedactor(cfg.Secrets)
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if cfg.Transport != nil {
		g.rt = cfg.Transport
	} else {
		g.own = &http.Transport{
			Proxy:                  nil, // a proxy would dial on our behalf, past the address checks
			DialContext:            g.dialContext,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    g.connectTimeout,
			MaxResponseHeaderBytes: maxHeaderBytes,
			MaxIdleConns:           16,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
			ExpectContinueTimeout:  time.Second,
		}
		g.rt = g.own
		if cfg.WrapTransport != nil {
			g.rt = cfg.WrapTransport(g.own)
		}
	}
	return g, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// CloseIdleConnections closes the guard's idle kept-alive connections. Call
// it when a short-lived guard is done.
func (g *Guard) CloseIdleConnections() {
	if g.own != nil {
		g.own.CloseIdleConnections()
	}
}

// guardError is the concrete error of the guard: kind is one of the
// sentinels, msg is already redacted, cause (optional) is the underlying
// error, reachable with errors.Is/As but not part of the message.
type guardError struct {
	kind  error
	msg   string
	cause error
}

func (e *guardError) Error() string { return e.kind.Error() + ": " + e.msg }

func (e *guardError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func (g *Guard) fail(kind, cause error, format string, args ...any) *guardError {
	return &guardError{kind: kind, msg: g.redact(fmt.Sprintf(format, args...)), cause: cause}
}

// target is a checked URL.
type target struct {
	scheme, host string // host lower-cased, IPv6 without brackets
	port         int
	ip           netip.Addr // valid for IP literals
}

func (t target) origin() string {
	return t.scheme + "://" + net.JoinHostPort(t.host, strconv.Itoa(t.port))
}

// Check reports whether the guard's rules allow a request to u: scheme,
// host, port and path prefix, as manifest.Egress.Allows defines them. It
// also refuses what no rule should ever match: user info, numeric or
// non-canonical host spellings (2130706433, 0x7f.1, [::ffff:127.0.0.1]),
// non-public IP literals (unless AllowLoopback and loopback), and paths with
// dot segments. It does not resolve the host or look at secrets. The error
// wraps ErrDenied.
func (g *Guard) Check(u *url.URL) error {
	_, err := g.check(u)
	if err != nil {
		return err
	}
	return nil
}

func (g *Guard) check(u *url.URL) (target, *guardError) {
	var t target
	if u == nil {
		return t, g.fail(ErrDenied, nil, "no URL")
	}
	shown := ShowURL(u)
	t.scheme = strings.ToLower(u.Scheme)
	if t.scheme != "http" && t.scheme != "https" {
		return t, g.fail(ErrDenied, nil, "%s: scheme %q is not allowed, only http and https", shown, u.Scheme)
	}
	if u.Opaque != "" {
		return t, g.fail(ErrDenied, nil, "%s: not a hierarchical URL (scheme://host/path)", shown)
	}
	if u.User != nil {
		return t, g.fail(ErrDenied, nil, "%s: user info in the URL is not allowed; send credentials in a header", shown)
	}
	raw := u.Hostname()
	if raw == "" {
		return t, g.fail(ErrDenied, nil, "%s: the URL has no host", shown)
	}
	host := strings.ToLower(raw)
	if reason := g.checkHost(u, host, &t); reason != "" {
		return t, g.fail(ErrDenied, nil, "egress to %s refused: %s", host, reason)
	}
	t.host = host
	port, ok := parsePort(u.Port(), t.scheme)
	if !ok {
		return t, g.fail(ErrDenied, nil, "%s: invalid port %q", shown, u.Port())
	}
	t.port = port
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if !strings.HasPrefix(p, "/") {
		return t, g.fail(ErrDenied, nil, "%s: the path must start with /", shown)
	}
	for seg := range strings.FieldsFuncSeq(lenientUnescape(p, false), func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == "." || seg == ".." {
			return t, g.fail(ErrDenied, nil, "%s: the path contains a dot segment (. or .., maybe percent-encoded), which could step outside the declared path prefix", shown)
		}
	}
	var sameHost []string
	for _, r := range g.rules {
		if r.Allows(t.scheme, host, port, p) {
			return t, nil
		}
		if (manifest.Host{Name: r.Host, Wildcard: r.Wildcard}).Matches(host) {
			sameHost = append(sameHost, r.Raw)
		}
	}
	if len(sameHost) == 0 {
		return t, g.fail(ErrDenied, nil, "egress to %s is not declared in the manifest", host)
	}
	for _, r := range g.rules {
		if (manifest.Host{Name: r.Host, Wildcard: r.Wildcard}).Matches(host) && r.Scheme == t.scheme && r.Port == port {
			return t, g.fail(ErrDenied, nil, "%s: path %s is outside the declared path prefixes for %s (%s)", shown, p, host, strings.Join(sameHost, ", "))
		}
	}
	return t, g.fail(ErrDenied, nil, "egress to %s is not declared in the manifest; %s is declared only as %s", t.origin(), host, strings.Join(sameHost, ", "))
}

// checkHost returns why host (lower-cased u.Hostname()) is refused whatever
// the rules say, or "". It sets t.ip for IP literals.
func (g *Guard) checkHost(u *url.URL, host string, t *target) string {
	if strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		switch {
		case err != nil || !ip.Is6() || !strings.HasPrefix(u.Host, "["):
			return "not a valid IPv6 literal"
		case ip.Zone() != "":
			return "zoned IPv6 addresses are not allowed"
		case ip.Is4In6():
			return fmt.Sprintf("IPv4-mapped IPv6 address (it is %s); write IPv4 addresses as such", ip.Unmap())
		case ip.String() != host:
			return fmt.Sprintf("non-canonical IPv6 spelling (canonical: %s)", ip)
		}
		return g.addrReason(ip, t)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.addrReason(ip, t)
	}
	if ip, ok := ParseNumericHost(host); ok {
		return fmt.Sprintf("numeric host spelling %q (it is %s) is not allowed; only canonical dotted-quad IPv4 literals are", host, ip)
	}
	if len(host) > 253 {
		return "host name longer than 253 characters"
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "not a valid host name (empty, too long or hyphen-edged label, or a trailing dot)"
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "not a valid host name (only ASCII letters, digits, '-' and '.'; write internationalised names in punycode)"
			}
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return "the last label is numeric, which URL parsers read as an IPv4 address"
	}
	return ""
}

func (g *Guard) addrReason(ip netip.Addr, t *target) string {
	t.ip = ip
	if g.dialAllowed(ip) {
		return ""
	}
	return fmt.Sprintf("%s is a %s address", ip.Unmap(), addrKind(ip))
}

// dialAllowed reports whether the guard may connect to ip.
func (g *Guard) dialAllowed(ip netip.Addr) bool {
	return !Forbidden(ip) || g.allowLoopback && isLoopback(ip)
}

func parsePort(s, scheme string) (int, bool) {
	if s == "" {
		if scheme == "https" {
			return 443, true
		}
		return 80, true
	}
	if len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, n >= 1 && n <= 65535
}

// ShowURL is u without user info, query or fragment ("?…" marks a dropped
// query), shortened: the form of a URL in messages and in records of
// requests, which are redacted as well.
func ShowURL(u *url.URL) string {
	s := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
	if u.RawQuery != "" {
		s += "?…"
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// hop is one request of a redirect chain.
type hop struct {
	method string
	url    *url.URL
	header http.Header
	body   []byte
}

// Do sends req through the guard and follows redirects itself, checking
// every hop like the first: the URL against the rules, the secrets against
// the hop's host, and the address actually dialled.
//
// Redirect policy: when a redirect changes the origin (scheme, host or
// port), Authorization, Proxy-Authorization, Cookie and Cookie2 are
// dropped; the rest of the request (other headers, the URL, a body re-sent
// on 307/308) is then checked for secrets like the first request, so a
// secret in, say, an X-Api-Key header refuses a redirect to a host it is not
// bound to. 301/302/303 turn a request other than GET or HEAD into a GET
// without body, as browsers and net/http do. A redirect to a URL already
// visited in the chain is refused as a loop.
//
// The caller closes the response body; reading it fails with ErrTooLarge
// past MaxResponseBytes and with ErrLimit when Timeout passes. req.Host, if
// set, must equal the URL's host; req.Body is read and closed.
func (g *Guard) Do(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, g.fail(ErrDenied, nil, "no request or no URL")
	}
	if _, gerr := g.check(req.URL); gerr != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, gerr
	}
	body, gerr := g.readBody(req)
	if gerr != nil {
		return nil, gerr
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if strings.EqualFold(method, http.MethodConnect) {
		return nil, g.fail(ErrDenied, nil, "method CONNECT is not allowed")
	}
	if req.Host != "" && !strings.EqualFold(req.Host, req.URL.Host) {
		return nil, g.fail(ErrDenied, nil, "%s: the Host header %q differs from the URL's host", ShowURL(req.URL), req.Host)
	}
	header := req.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	u := *req.URL
	cur := hop{method: method, url: &u, header: header, body: body}

	ctx, cancel := context.WithTimeoutCause(req.Context(), g.timeout, errTotalTimeout)
	resp, err := g.follow(ctx, cancel, cur)
	if err != nil {
		cancel()
		return nil, err
	}
	return resp, nil
}

// errTotalTimeout is the cancellation cause of the Timeout context.
var errTotalTimeout = errors.New("total timeout")

// follow sends cur and the redirects that follow it. On success the
// response body owns cancel.
func (g *Guard) follow(ctx context.Context, cancel context.CancelFunc, cur hop) (*http.Response, error) {
	visited := map[string]bool{}
	var prev *url.URL
	for redirects := 0; ; redirects++ {
		t, gerr := g.check(cur.url)
		if gerr == nil {
			gerr = g.checkSecrets(t.host, cur)
		}
		if gerr == nil {
			gerr = g.checkHeaderSize(cur)
		}
		if gerr != nil {
			if prev != nil {
				gerr.msg = g.redact(fmt.Sprintf("redirect from %s to %s refused: ", ShowURL(prev), ShowURL(cur.url))) + gerr.msg
			}
			return nil, gerr
		}
		visited[cur.method+" "+cur.url.String()] = true

		var rd io.Reader
		if len(cur.body) > 0 {
			rd = bytes.NewReader(cur.body)
		}
		out, err := http.NewRequestWithContext(ctx, cur.method, cur.url.String(), rd)
		if err != nil {
			return nil, g.fail(ErrDenied, nil, "%s: invalid request (method %q)", ShowURL(cur.url), cur.method)
		}
		out.Header = cur.header
		resp, err := g.rt.RoundTrip(out)
		if err != nil {
			terr := g.transportError(ctx, t, err)
			if prev != nil {
				terr.msg = g.redact(fmt.Sprintf("redirect from %s to %s: ", ShowURL(prev), ShowURL(cur.url))) + terr.msg
			}
			return nil, terr
		}
		next, gerr := g.nextHop(resp, cur, t)
		if gerr != nil {
			return nil, gerr
		}
		if next == nil {
			return g.wrapResponse(ctx, cancel, resp, t)
		}
		if redirects >= g.maxRedirects {
			return nil, g.fail(ErrLimit, nil, "stopped after %d redirects, at a redirect from %s to %s", g.maxRedirects, ShowURL(cur.url), ShowURL(next.url))
		}
		if visited[next.method+" "+next.url.String()] {
			return nil, g.fail(ErrDenied, nil, "redirect from %s to %s refused: a redirect loop (already visited)", ShowURL(cur.url), ShowURL(next.url))
		}
		prev = cur.url
		cur = *next
	}
}

// nextHop returns the request a redirect response asks for, or nil when
// resp is the final response. It closes the body of a redirect response.
func (g *Guard) nextHop(resp *http.Response, cur hop, t target) (*hop, *guardError) {
	if g.maxRedirects < 0 {
		return nil, nil
	}
	next := hop{method: cur.method}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		if cur.method != http.MethodGet && cur.method != http.MethodHead {
			next.method = http.MethodGet
		}
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		next.body = cur.body
	default:
		return nil, nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, nil // a 3xx without Location is the answer, as in net/http
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	u, err := cur.url.Parse(loc)
	if err != nil {
		return nil, g.fail(ErrDenied, nil, "redirect from %s refused: invalid Location header", ShowURL(cur.url))
	}
	next.url = u
	next.header = cur.header.Clone()
	if next.body == nil {
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding"} {
			next.header.Del(k)
		}
	}
	// Drop credentials when the origin changes. Checking the new target
	// here only to compare origins; follow checks it fully.
	nt, cerr := g.check(u)
	if cerr != nil || nt.origin() != t.origin() {
		for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"} {
			next.header.Del(k)
		}
	}
	return &next, nil
}

func (g *Guard) readBody(req *http.Request) ([]byte, *guardError) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer func() { _ = req.Body.Close() }()
	if req.ContentLength > g.maxReq {
		return nil, g.fail(ErrTooLarge, nil, "request body to %s is %d bytes, over the %d-byte cap", req.URL.Hostname(), req.ContentLength, g.maxReq)
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, g.maxReq+1))
	if err != nil {
		return nil, g.fail(ErrUnavailable, err, "reading the request body for %s: %v", req.URL.Hostname(), err)
	}
	if int64(len(b)) > g.maxReq {
		return nil, g.fail(ErrTooLarge, nil, "request body to %s is over the %d-byte cap", req.URL.Hostname(), g.maxReq)
	}
	return b, nil
}

func (g *Guard) checkHeaderSize(h hop) *guardError {
	n := len(h.url.String())
	for k, vs := range h.header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	if n > maxHeaderBytes {
		return g.fail(ErrTooLarge, nil, "request URL and headers to %s are %d bytes, over the %d-byte cap", h.url.Hostname(), n, maxHeaderBytes)
	}
	return nil
}

// checkSecrets refuses h if it carries the value of a secret that is not
// bound to host.
func (g *Guard) checkSecrets(host string, h hop) *guardError {
	var parts []requestPart
	for _, s := range g.secrets {
		if s.boundTo(host) {
			continue
		}
		if parts == nil {
			parts = requestParts(h.url, h.header, h.body)
		}
		for _, p := range parts {
			if !s.foundIn(p.texts) {
				continue
			}
			bound := "no host"
			if len(s.hosts) > 0 {
				names := make([]string, len(s.hosts))
				for i, hh := range s.hosts {
					names[i] = hh.Name
				}
				bound = strings.Join(names, ", ")
			}
			return g.fail(ErrDenied, nil, "the request's %s carries secret %q, which may be sent only to %s, not to %s", p.where, s.name, bound, host)
		}
	}
	return nil
}

// transportError maps a RoundTrip error to the guard's sentinels.
func (g *Guard) transportError(ctx context.Context, t target, err error) *guardError {
	var ge *guardError
	switch {
	case errors.As(err, &ge):
		return ge
	case context.Cause(ctx) == errTotalTimeout:
		return g.fail(ErrLimit, context.DeadlineExceeded, "no response from %s within %s", t.host, g.timeout)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return g.fail(ErrLimit, context.DeadlineExceeded, "the caller's deadline passed before %s answered", t.host)
	case ctx.Err() != nil:
		return g.fail(ErrUnavailable, ctx.Err(), "request to %s cancelled", t.host)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return g.fail(ErrLimit, context.DeadlineExceeded, "connecting to %s timed out after %s", t.host, g.connectTimeout)
	}
	return g.fail(ErrUnavailable, err, "request to %s failed: %v", t.host, err)
}

// wrapResponse caps the response body and ties the timeout to it.
func (g *Guard) wrapResponse(ctx context.Context, cancel context.CancelFunc, resp *http.Response, t target) (*http.Response, error) {
	if resp.ContentLength > g.maxResp {
		_ = resp.Body.Close()
		return nil, g.fail(ErrTooLarge, ErrResponseTooLarge, "response from %s declares %d bytes, over the %d-byte cap", t.host, resp.ContentLength, g.maxResp)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: g.maxResp, g: g, ctx: ctx, cancel: cancel, host: t.host}
	return resp, nil
}

// cappedBody fails with ErrTooLarge past the cap and with ErrLimit after
// the total timeout; it releases the timeout at EOF or Close.
type cappedBody struct {
	rc     io.ReadCloser
	left   int64
	g      *Guard
	ctx    context.Context
	cancel context.CancelFunc
	host   string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = -1
		b.cancel()
		return n, b.g.fail(ErrTooLarge, ErrResponseTooLarge, "response from %s is over the %d-byte cap", b.host, b.g.maxResp)
	}
	b.left -= int64(n)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		b.cancel()
	case context.Cause(b.ctx) == errTotalTimeout:
		err = b.g.fail(ErrLimit, context.DeadlineExceeded, "response from %s not complete within %s", b.host, b.g.timeout)
	case errors.Is(b.ctx.Err(), context.DeadlineExceeded):
		err = b.g.fail(ErrLimit, context.DeadlineExceeded, "the caller's deadline passed while reading the response from %s", b.host)
	default:
		var ge *guardError
		if !errors.As(err, &ge) {
			err = b.g.fail(ErrUnavailable, err, "reading the response from %s: %v", b.host, err)
		}
	}
	return n, err
}

func (b *cappedBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

// dialContext is the guard's DialContext: it resolves the host itself,
// refuses the connection if any address is not allowed, and dials the
// checked addresses (the Control hook checks each again).
func (g *Guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, g.fail(ErrDenied, nil, "invalid dial address %q", address)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, g.fail(ErrDenied, nil, "invalid dial address %q", address)
	}
	dctx, cancel := context.WithTimeout(ctx, g.connectTimeout)
	defer cancel()
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		if !g.dialAllowed(ip) {
			return nil, g.fail(ErrDenied, nil, "egress to %s refused at dial time: %s is a %s address", host, ip.Unmap(), addrKind(ip))
		}
		ips = []netip.Addr{ip}
	} else {
		if ip, ok := ParseNumericHost(host); ok {
			return nil, g.fail(ErrDenied, nil, "egress to %s refused at dial time: numeric host spelling (it is %s)", host, ip)
		}
		addrs, err := g.resolver.LookupIPAddr(dctx, host)
		if err != nil {
			if ctx.Err() == nil && dctx.Err() != nil {
				return nil, g.fail(ErrLimit, context.DeadlineExceeded, "resolving %s timed out after %s", host, g.connectTimeout)
			}
			return nil, g.fail(ErrUnavailable, err, "resolving %s: %v", host, err)
		}
		for _, a := range addrs {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok {
				continue
			}
			if !g.dialAllowed(ip) {
				return nil, g.fail(ErrDenied, nil, "egress to %s refused at dial time: it resolves to %s, a %s address", host, ip.Unmap(), addrKind(ip))
			}
			ips = append(ips, ip)
		}
		if len(ips) == 0 {
			return nil, g.fail(ErrUnavailable, nil, "resolving %s: no addresses", host)
		}
	}
	d := &net.Dialer{Control: g.control}
	var firstErr error
	for _, ip := range ips {
		conn, err := d.DialContext(dctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		var ge *guardError
		if errors.As(err, &ge) {
			return nil, ge
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if ctx.Err() == nil && dctx.Err() != nil {
		return nil, g.fail(ErrLimit, context.DeadlineExceeded, "connecting to %s timed out after %s", host, g.connectTimeout)
	}
	return nil, firstErr
}

// control checks the address actually dialled, after every resolution.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return g.fail(ErrDenied, nil, "invalid dial address %q", address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return g.fail(ErrDenied, nil, "invalid dial address %q", address)
	}
	if !g.dialAllowed(ip) {
		return g.fail(ErrDenied, nil, "connection to %s refused: a %s address", ip.Unmap(), addrKind(ip))
	}
	return nil
}
