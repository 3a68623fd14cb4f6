package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned (wrapped) when a connection to a
// non-public address is refused.
var ErrForbiddenAddress = errors.New("address not allowed")

// forbiddenRange is one block of non-public addresses and what it is, for
// error messages.
type forbiddenRange struct {
	prefix netip.Prefix
	kind   string
}

var forbiddenRanges = func() []forbiddenRange {
	var out []forbiddenRange
	for _, r := range [][2]string{
		{"0.0.0.0/8", "unspecified (\"this network\")"},
		{"10.0.0.0/8", "private (RFC 1918)"},
		{"100.64.0.0/10", "private (CGNAT, RFC 6598)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.169.254/32", "cloud metadata"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private (RFC 1918)"},
		{"192.0.0.0/24", "reserved (IETF protocol assignments)"},
		{"192.0.2.0/24", "documentation (TEST-NET-1)"},
		{"192.168.0.0/16", "private (RFC 1918)"},
		{"198.18.0.0/15", "reserved (benchmarking)"},
		{"198.51.100.0/24", "documentation (TEST-NET-2)"},
		{"203.0.113.0/24", "documentation (TEST-NET-3)"},
		{"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved (240/4, broadcast)"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/96", "IPv4-compatible (deprecated, embeds an IPv4 address)"},
		{"64:ff9b::/96", "NAT64 (embeds an IPv4 address)"},
		{"64:ff9b:1::/48", "local-use NAT64"},
		{"100::/64", "reserved (discard)"},
		{"2001:db8::/32", "documentation"},
		{"2002::/16", "6to4 (deprecated, embeds an IPv4 address)"},
		{"fd00:ec2::254/128", "cloud metadata"},
		{"fc00::/7", "private (unique local)"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"},
		{"ff00::/8", "multicast"},
	} {
		out = append(out, forbiddenRange{netip.MustParsePrefix(r[0]), r[1]})
	}
	return out
}()

// addrKind names the forbidden range addr falls in ("loopback", "private
// (RFC 1918)", "cloud metadata", ...), or "" for a public address. IPv4-mapped
// addresses are judged by the IPv4 address they carry.
func addrKind(addr netip.Addr) string {
	if !addr.IsValid() {
		return "invalid"
	}
	addr = addr.Unmap()
	for _, r := range forbiddenRanges {
		if r.prefix.Contains(addr) {
			return r.kind
		}
	}
	return ""
}

// isLoopback reports whether addr is in 127.0.0.0/8 or is ::1 (also in its
// IPv4-mapped form): the only addresses AllowLoopback opens.
func isLoopback(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.Is4() && addr.As4()[0] == 127 || addr == netip.IPv6Loopback()
}

// Forbidden reports whether addr is not a public unicast address: loopback,
// private (RFC 1918, CGNAT, unique-local), link-local, multicast,
// unspecified, documentation or cloud metadata. IPv4-mapped IPv6 addresses
// are judged by the IPv4 address they carry.
func Forbidden(addr netip.Addr) bool {
	if !addr.IsValid() {
		return true
	}
	return addrKind(addr) != ""
}

// Policy says which addresses a dialer may reach.
type Policy struct {
	// AllowPrivate permits non-public addresses (local testing only).
	AllowPrivate bool
}

// Control is a net.Dialer Control function that refuses forbidden addresses
// unless the policy allows private ones. It runs after DNS resolution, on
// the address actually dialled.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	if p.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if Forbidden(ip) {
		return fmt.Errorf("%w: %s is a loopback, private, link-local or otherwise non-public address", ErrForbiddenAddress, ip.Unmap())
	}
	return nil
}

// Client returns an HTTP client whose connections obey the policy, with the
// given total timeout. Redirects are followed at most five times; every hop
// dials through the same guard.
func (p Policy) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: p.Control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial on our behalf, bypassing the guard
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)
			}
			return nil
		},
	}
}
