package manifest

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Egress is one outbound HTTP destination the extension may call.
//
// String form: scheme://host[:port][/path-prefix], e.g.
// "https://slack.com/api/". Object form: {scheme, host, port, pathPrefix}
// with scheme defaulting to https, port to the scheme's default and
// pathPrefix to "/".
//
// Rules:
//   - scheme is http or https; no user info, query or fragment;
//   - host is a lower-cased DNS name (ASCII letters, digits and '-' in
//     labels of at most 63 characters), an IPv4 literal or a bracketed IPv6
//     literal; IP literals are accepted here with IsIP set, and rejected or
//     allowed by validation;
//   - the only wildcard is a leading "*." label, followed by at least two
//     labels ("*.example.com", not "*.com" nor "*"); it matches every name
//     below the rest at any depth, never the rest itself;
//   - the path prefix starts with "/", has no "." or ".." segments, and
//     matches a request path on segment boundaries: "/v1" allows "/v1" and
//     "/v1/x" but not "/v10"; "/api/" allows everything below "/api/".
type Egress struct {
	Scheme     string `json:"scheme"`
	Host       string `json:"host"` // with the "*." for a wildcard; no brackets for IPv6
	Port       int    `json:"port"` // always set; the scheme default when omitted
	PathPrefix string `json:"pathPrefix"`
	Wildcard   bool   `json:"wildcard,omitempty"`
	IsIP       bool   `json:"isIP,omitempty"`
	// Raw is the string as written, or the canonical String() for the object
	// form.
	Raw string `json:"raw"`
	Pos Pos    `json:"pos"`
}

// String returns the canonical string form, omitting the default port.
func (e Egress) String() string {
	var b strings.Builder
	b.WriteString(e.Scheme)
	b.WriteString("://")
	if e.IsIP && strings.Contains(e.Host, ":") {
		b.WriteString("[" + e.Host + "]")
	} else {
		b.WriteString(e.Host)
	}
	if e.Port != 0 && e.Port != defaultPort(e.Scheme) {
		b.WriteString(":" + strconv.Itoa(e.Port))
	}
	b.WriteString(e.PathPrefix)
	return b.String()
}

// Allows reports whether a request with the given scheme, host (no port),
// port and path is allowed by e. Host comparison ignores case.
func (e Egress) Allows(scheme, host string, port int, reqPath string) bool {
	if !strings.EqualFold(scheme, e.Scheme) || port != e.Port {
		return false
	}
	if !hostMatches(e.Host, e.Wildcard, host) {
		return false
	}
	return pathAllowed(e.PathPrefix, reqPath)
}

// AllowsURL is Allows for an absolute URL; it returns false for anything
// that does not parse.
func (e Egress) AllowsURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	port := defaultPort(strings.ToLower(u.Scheme))
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return false
		}
		port = n
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return e.Allows(u.Scheme, u.Hostname(), port, p)
}

// CoversHost reports whether e may reach host (any port or path): used to
// check that a secret's hosts are declared egress.
func (e Egress) CoversHost(h Host) bool { return e.HostPattern().Covers(h) }

// HostPattern returns e's host as a Host.
func (e Egress) HostPattern() Host { return Host{Name: e.Host, Wildcard: e.Wildcard, IsIP: e.IsIP} }

// Covers reports whether every request o allows, e allows too: the same
// scheme and port, a host pattern that covers o's (Host.Covers) and a path
// prefix that allows o's.
func (e Egress) Covers(o Egress) bool {
	return e.Scheme == o.Scheme && e.Port == o.Port &&
		e.HostPattern().Covers(o.HostPattern()) && pathAllowed(e.PathPrefix, o.PathPrefix)
}

// Covers reports whether every name o matches, h matches too: an exact
// name covers only itself; a wildcard covers the names it matches and the
// wildcards at or below its own (*.example.com covers *.a.example.com).
func (h Host) Covers(o Host) bool {
	if o.Wildcard {
		return h.Wildcard && (o.Name == h.Name || strings.HasSuffix(o.Name, h.Name[1:]))
	}
	return h.Matches(o.Name)
}

func pathAllowed(prefix, p string) bool {
	if prefix == "" || prefix == "/" {
		return true
	}
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return strings.HasSuffix(prefix, "/") || len(p) == len(prefix) || p[len(prefix)] == '/'
}

func hostMatches(pattern string, wildcard bool, name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if !wildcard {
		return name == pattern
	}
	suffix := pattern[1:] // ".example.com"
	return len(name) > len(suffix) && strings.HasSuffix(name, suffix)
}

func defaultPort(scheme string) int {
	switch scheme {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}

// ParseEgress parses the string form of an egress entry.
func ParseEgress(s string) (Egress, error) {
	e := Egress{Raw: s}
	if s == "" {
		return e, fmt.Errorf("empty egress entry")
	}
	if strings.ContainsAny(s, " \t\r\n\\") {
		return e, fmt.Errorf("egress %q contains whitespace or a backslash", s)
	}
	if strings.HasPrefix(s, "*") && !strings.Contains(s, "://") {
		return e, fmt.Errorf("egress %q: a bare wildcard is not allowed; list the hosts the extension calls, like https://*.example.com/", s)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return e, fmt.Errorf("egress %q has no scheme: write it as https://host[/path]", s)
	}
	if strings.ContainsAny(rest, "?#") {
		return e, fmt.Errorf("egress %q has a query or fragment: only scheme, host, port and path prefix are allowed", s)
	}
	authority, p := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, p = rest[:i], rest[i:]
	}
	if strings.Contains(authority, "@") {
		return e, fmt.Errorf("egress %q contains user info (user@host); credentials belong in secrets", s)
	}
	host, portStr := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return e, fmt.Errorf("egress %q: unterminated IPv6 literal", s)
		}
		host = authority[:end+1]
		after := authority[end+1:]
		if after != "" {
			if !strings.HasPrefix(after, ":") {
				return e, fmt.Errorf("egress %q: unexpected %q after the IPv6 literal", s, after)
			}
			portStr = after[1:]
			if portStr == "" {
				return e, fmt.Errorf("egress %q: empty port", s)
			}
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, portStr = authority[:i], authority[i+1:]
		if portStr == "" {
			return e, fmt.Errorf("egress %q: empty port", s)
		}
	}
	port := 0
	if portStr != "" {
		n, err := parsePort(portStr)
		if err != nil {
			return e, fmt.Errorf("egress %q: %v", s, err)
		}
		port = n
	}
	out, err := buildEgress(scheme, host, port, p)
	if err != nil {
		return e, fmt.Errorf("egress %q: %v", s, err)
	}
	out.Raw = s
	return out, nil
}

func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d out of range 1-65535", n)
	}
	return n, nil
}

// buildEgress checks and normalises the parts of an egress entry (port 0
// means the scheme's default).
func buildEgress(scheme, host string, port int, p string) (Egress, error) {
	var e Egress
	scheme = strings.ToLower(scheme)
	if scheme != "https" && scheme != "http" {
		return e, fmt.Errorf("scheme %q is not allowed: use https (or http)", scheme)
	}
	h, err := ParseHost(host)
	if err != nil {
		return e, err
	}
	if port == 0 {
		port = defaultPort(scheme)
	}
	if port < 1 || port > 65535 {
		return e, fmt.Errorf("port %d out of range 1-65535", port)
	}
	if p == "" {
		p = "/"
	}
	if err := checkPathPrefix(p); err != nil {
		return e, err
	}
	e = Egress{Scheme: scheme, Host: h.Name, Port: port, PathPrefix: p, Wildcard: h.Wildcard, IsIP: h.IsIP}
	e.Raw = e.String()
	return e, nil
}

func checkPathPrefix(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path prefix %q must start with /", p)
	}
	if strings.ContainsAny(p, "?#") {
		return fmt.Errorf("path prefix %q must not contain a query or fragment", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '\\' || c >= 0x80 {
			return fmt.Errorf("path prefix %q contains a space, control, backslash or non-ASCII character (percent-encode it)", p)
		}
	}
	if strings.Contains(p, "//") {
		return fmt.Errorf("path prefix %q contains an empty segment (//)", p)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if s := strings.ToLower(seg); s == "." || s == ".." || strings.Contains(s, "%2e") || strings.Contains(s, "%2f") {
			return fmt.Errorf("path prefix %q contains a dot segment or an encoded '.' or '/'", p)
		}
	}
	return nil
}

// ParseHost parses a host pattern as used in egress entries and secret
// hosts: a DNS name, "*." followed by a DNS name of at least two labels, an
// IPv4 literal or an IPv6 literal (bracketed or not). Names are lower-cased;
// a trailing dot is not allowed.
func ParseHost(s string) (Host, error) {
	h := Host{}
	if s == "" {
		return h, fmt.Errorf("empty host")
	}
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return h, fmt.Errorf("invalid host %q: unterminated IPv6 literal", s)
		}
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return h, fmt.Errorf("invalid IPv6 literal %q", s)
		}
		return Host{Name: a.String(), IsIP: true}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return h, fmt.Errorf("invalid host %q: zoned IPv6 addresses are not allowed", s)
		}
		return Host{Name: a.String(), IsIP: true}, nil
	}
	name := strings.ToLower(s)
	if strings.Contains(strings.TrimPrefix(name, "*."), "*") {
		return h, fmt.Errorf("invalid host %q: the only wildcard is a leading \"*.\" label (like *.example.com)", s)
	}
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		if err := checkDNSName(rest); err != nil {
			return h, fmt.Errorf("invalid host %q: %v", s, err)
		}
		if strings.Count(rest, ".") < 1 {
			return h, fmt.Errorf("invalid host %q: a wildcard must be followed by at least two labels (like *.example.com)", s)
		}
		if isIPv4ish(rest) {
			return h, fmt.Errorf("invalid host %q: a wildcard cannot cover IP addresses", s)
		}
		return Host{Name: name, Wildcard: true}, nil
	}
	if err := checkDNSName(name); err != nil {
		return h, fmt.Errorf("invalid host %q: %v", s, err)
	}
	if isIPv4ish(name) {
		return h, fmt.Errorf("invalid host %q: not a valid IPv4 address nor a DNS name", s)
	}
	return Host{Name: name}, nil
}

// isIPv4ish reports names whose last label is all digits: never a real DNS
// name, and often an IP literal in a form netip rejects (010.1.1.1, 1.2.3).
func isIPv4ish(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	return last != "" && strings.Trim(last, "0123456789") == ""
}

func checkDNSName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	if len(name) > 253 {
		return fmt.Errorf("name longer than 253 characters")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return fmt.Errorf("empty label (leading, trailing or double dot)")
		}
		if len(label) > 63 {
			return fmt.Errorf("label longer than 63 characters")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with '-'", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				if c >= 0x80 {
					return fmt.Errorf("non-ASCII name: write internationalised names in punycode (xn--...)")
				}
				return fmt.Errorf("character %q is not allowed in a host name", c)
			}
		}
	}
	return nil
}
