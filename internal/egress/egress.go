// Package egress guards outbound network connections. It classifies IP
// addresses (loopback, private, link-local, metadata, ...) and provides a
// net.Dialer Control hook that refuses forbidden addresses at dial time, after
// DNS resolution, so that a hostname that resolves to a private address (DNS
// rebinding) is refused as surely as an IP literal.
package egress

import (
	"context"
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

var forbiddenPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this" network, unspecified
		"10.0.0.0/8",      // RFC 1918
		"100.64.0.0/10",   // CGNAT, RFC 6598
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // RFC 1918
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // TEST-NET-1
		"192.168.0.0/16",  // RFC 1918
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // TEST-NET-2
		"203.0.113.0/24",  // TEST-NET-3
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b::/96",    // NAT64 (embeds IPv4)
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated)
		"ff00::/8",        // multicast
		"fd00:ec2::254/128",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Forbidden reports whether addr is not a public unicast address: loopback,
// private (RFC 1918, CGNAT, unique-local), link-local, multicast,
// unspecified, documentation or cloud metadata. IPv4-mapped IPv6 addresses
// are judged by the IPv4 address they carry.
func Forbidden(addr netip.Addr) bool {
	if !addr.IsValid() {
		return true
	}
	addr = addr.Unmap()
	for _, p := range forbiddenPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
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

// DialContext dials network/address with the policy applied.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: p.Control}
	return d.DialContext(ctx, network, address)
}
