package egress

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/manifest"
)

func fuzzGuards(t testing.TB) []*Guard {
	var rs []manifest.Egress
	for _, s := range []string{
		"https://api.example.com/v1/", "https://api.example.com/v2", "https://*.hooks.example.com/",
		"http://127.0.0.1:8080/local", "http://[::1]:8080/", "https://93.184.216.34/", "http://10.0.0.1/",
		"https://[2001:4860:4860::8888]/dns",
	} {
		e, err := manifest.ParseEgress(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, e)
	}
	var out []*Guard
	for _, loop := range []bool{false, true} {
		g, err := NewGuard(GuardConfig{Rules: rs, AllowLoopback: loop, Resolver: &fakeResolver{}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// FuzzCheckURL: Check never panics, refuses only with ErrDenied, and passes
// a URL only if some rule allows it (manifest semantics), its host is not a
// numeric spelling, and an IP host is one the guard may dial.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://api.example.com/v1/x", "https://a.hooks.example.com/", "http://127.0.0.1:8080/local/x",
		"http://2130706433/", "http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "https://API.EXAMPLE.COM/v1/",
		"https://api.example.com/v1/%2e%2e/admin", "https://api.example.com./v1/", "http://10.0.0.1/",
	} {
		f.Add(s)
	}
	guards := fuzzGuards(f)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		for _, g := range guards {
			err := g.Check(u)
			if err != nil {
				if !errors.Is(err, ErrDenied) {
					t.Fatalf("Check(%q) = %v, not ErrDenied", raw, err)
				}
				continue
			}
			host := u.Hostname()
			matched := false
			for _, r := range g.rules {
				if (manifest.Host{Name: r.Host, Wildcard: r.Wildcard}).Matches(host) && r.AllowsURL(raw) {
					matched = true
				}
			}
			if !matched {
				t.Fatalf("Check(%q) passed but no rule matches host %q", raw, host)
			}
			if ip, err := netip.ParseAddr(host); err == nil && !g.dialAllowed(ip) {
				t.Fatalf("Check(%q) passed a forbidden address", raw)
			} else if err != nil {
				if _, ok := ParseNumericHost(host); ok {
					t.Fatalf("Check(%q) passed a numeric host spelling", raw)
				}
			}
			if strings.Contains(u.EscapedPath(), "/../") {
				t.Fatalf("Check(%q) passed a dot segment", raw)
			}
		}
	})
}

// FuzzParseNumericHost: no panics; agrees with netip on canonical IPv4;
// any non-canonical numeric spelling is refused by the guard.
func FuzzParseNumericHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "0x", "1.2.3.4.", "4294967296", "08"} {
		f.Add(s)
	}
	g := fuzzGuards(f)[1]
	f.Fuzz(func(t *testing.T, host string) {
		ip, ok := ParseNumericHost(host)
		if want, err := netip.ParseAddr(host); err == nil && want.Is4() {
			if !ok || ip != want {
				t.Fatalf("ParseNumericHost(%q) = %v, %v; want %v", host, ip, ok, want)
			}
			return
		}
		if !ok {
			return
		}
		if !ip.Is4() {
			t.Fatalf("ParseNumericHost(%q) = %v, not IPv4", host, ip)
		}
		u := &url.URL{Scheme: "http", Host: host, Path: "/"}
		if err := g.Check(u); err == nil {
			t.Fatalf("Check passed the numeric spelling %q", host)
		}
	})
}
