package manifest

import (
	"strings"
	"testing"
)

func TestParseEgress(t *testing.T) {
	valid := []struct {
		in   string
		want Egress
		str  string
	}{
		{"https://slack.com/api/", Egress{Scheme: "https", Host: "slack.com", Port: 443, PathPrefix: "/api/"}, "https://slack.com/api/"},
		{"https://api.example.com", Egress{Scheme: "https", Host: "api.example.com", Port: 443, PathPrefix: "/"}, "https://api.example.com/"},
		{"HTTPS://API.Example.COM:443/V1", Egress{Scheme: "https", Host: "api.example.com", Port: 443, PathPrefix: "/V1"}, "https://api.example.com/V1"},
		{"http://legacy.example.org:8080/", Egress{Scheme: "http", Host: "legacy.example.org", Port: 8080, PathPrefix: "/"}, "http://legacy.example.org:8080/"},
		{"https://*.billing.example.com/v1/", Egress{Scheme: "https", Host: "*.billing.example.com", Port: 443, PathPrefix: "/v1/", Wildcard: true}, "https://*.billing.example.com/v1/"},
		{"https://*.example.com", Egress{Scheme: "https", Host: "*.example.com", Port: 443, PathPrefix: "/", Wildcard: true}, "https://*.example.com/"},
		{"https://192.0.2.1/hook", Egress{Scheme: "https", Host: "192.0.2.1", Port: 443, PathPrefix: "/hook", IsIP: true}, "https://192.0.2.1/hook"},
		{"http://[2001:DB8::1]:8080/", Egress{Scheme: "http", Host: "2001:db8::1", Port: 8080, PathPrefix: "/", IsIP: true}, "http://[2001:db8::1]:8080/"},
		{"https://[::1]", Egress{Scheme: "https", Host: "::1", Port: 443, PathPrefix: "/", IsIP: true}, "https://[::1]/"},
		{"https://xn--bcher-kva.example/", Egress{Scheme: "https", Host: "xn--bcher-kva.example", Port: 443, PathPrefix: "/"}, "https://xn--bcher-kva.example/"},
		{"https://a-b.c0.example/%7Euser/", Egress{Scheme: "https", Host: "a-b.c0.example", Port: 443, PathPrefix: "/%7Euser/"}, "https://a-b.c0.example/%7Euser/"},
		{"https://localhost", Egress{Scheme: "https", Host: "localhost", Port: 443, PathPrefix: "/"}, "https://localhost/"},
	}
	for _, tc := range valid {
		got, err := ParseEgress(tc.in)
		if err != nil {
			t.Errorf("ParseEgress(%q): %v", tc.in, err)
			continue
		}
		tc.want.Raw = tc.in
		if got != tc.want {
			t.Errorf("ParseEgress(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.String() != tc.str {
			t.Errorf("ParseEgress(%q).String() = %q, want %q", tc.in, got.String(), tc.str)
		}
		// The canonical form parses to the same destination.
		again, err := ParseEgress(got.String())
		again.Raw = got.Raw
		if err != nil || again != got {
			t.Errorf("round trip of %q: %+v, %v", got.String(), again, err)
		}
	}

	invalid := []struct{ in, msg string }{
		{"", "empty"},
		{"*", "bare wildcard"},
		{"*.example.com", "bare wildcard"},
		{"https://*", "only wildcard"},
		{"https://*.com/", "at least two labels"},
		{"https://*.*.example.com/", "only wildcard"},
		{"https://api.*.example.com/", "only wildcard"},
		{"https://*example.com/", "only wildcard"},
		{"https://*.192.0.2.1/", "cannot cover IP"},
		{"slack.com", "no scheme"},
		{"ftp://example.com/", `scheme "ftp"`},
		{"wss://example.com/", `scheme "wss"`},
		{"https://user@example.com/", "user info"},
		{"https://example.com/?q=1", "query or fragment"},
		{"https://example.com/#top", "query or fragment"},
		{"https://example.com:0/", "out of range"},
		{"https://example.com:65536/", "out of range"},
		{"https://example.com:/", "empty port"},
		{"https://example.com:https/", "invalid port"},
		{"https://example.com:-1/", "invalid port"},
		{"https:///path", "empty host"},
		{"https://exa_mple.com/", "not allowed in a host name"},
		{"https://-bad.example.com/", "starts or ends with '-'"},
		{"https://example..com/", "empty label"},
		{"https://example.com./", "empty label"},
		{"https://" + strings.Repeat("a", 64) + ".com/", "longer than 63"},
		{"https://bücher.example/", "punycode"},
		{"https://127.1/", "not a valid IPv4"},
		{"https://0x7f.0.0.1/", "not a valid IPv4"},
		{"https://010.0.0.1/", "not a valid IPv4"},
		{"https://[fe80::1%25eth0]/", "IPv6"},
		{"https://[::1/", "unterminated"},
		{"https://[::1]x/", "after the IPv6"},
		{"https://example.com/a/../b", "dot segment"},
		{"https://example.com/a/%2e%2e/b", "dot segment"},
		{"https://example.com/a%2Fb", "encoded"},
		{"https://example.com//x", "empty segment"},
		{"https://example.com/ a", "whitespace"},
		{"https://example.com\\@evil.com/", "backslash"},
	}
	for _, tc := range invalid {
		_, err := ParseEgress(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseEgress(%q) = %v, want an error containing %q", tc.in, err, tc.msg)
		}
	}
}

func TestEgressAllows(t *testing.T) {
	mustEgress := func(s string) Egress {
		e, err := ParseEgress(s)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		egress string
		url    string
		want   bool
	}{
		{"https://slack.com/api/", "https://slack.com/api/chat.postMessage", true},
		{"https://slack.com/api/", "https://slack.com/api", false},
		{"https://slack.com/api/", "https://slack.com/apix", false},
		{"https://slack.com/api/", "https://SLACK.com/api/x", true},
		{"https://slack.com/api/", "https://slack.com./api/x", true},
		{"https://slack.com/api/", "http://slack.com/api/x", false},
		{"https://slack.com/api/", "https://slack.com:8443/api/x", false},
		{"https://slack.com/api/", "https://api.slack.com/api/x", false},
		{"https://slack.com/api/", "https://user@slack.com/api/x", false},
		{"https://api.example.com/v1", "https://api.example.com/v1", true},
		{"https://api.example.com/v1", "https://api.example.com/v1/users", true},
		{"https://api.example.com/v1", "https://api.example.com/v10", false},
		{"https://api.example.com", "https://api.example.com", true},
		{"https://api.example.com", "https://api.example.com:443/anything?x=1", true},
		{"https://*.example.com", "https://a.example.com/", true},
		{"https://*.example.com", "https://a.b.example.com/", true},
		{"https://*.example.com", "https://example.com/", false},
		{"https://*.example.com", "https://badexample.com/", false},
		{"https://*.example.com", "https://example.com.evil.net/", false},
		{"http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/x", true},
		{"https://example.com/", "not a url", false},
		{"https://example.com/", "https://example.com:bad/", false},
	}
	for _, tc := range tests {
		if got := mustEgress(tc.egress).AllowsURL(tc.url); got != tc.want {
			t.Errorf("%s allows %s = %v, want %v", tc.egress, tc.url, got, tc.want)
		}
	}
}

func TestParseHostAndCoverage(t *testing.T) {
	mustHost := func(s string) Host {
		h, err := ParseHost(s)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := mustHost("Slack.COM"); h.Name != "slack.com" || h.Wildcard || h.IsIP {
		t.Errorf("ParseHost(Slack.COM) = %+v", h)
	}
	if h := mustHost("10.0.0.1"); !h.IsIP || h.Name != "10.0.0.1" {
		t.Errorf("ParseHost(10.0.0.1) = %+v", h)
	}
	if h := mustHost("[::1]"); !h.IsIP || h.Name != "::1" {
		t.Errorf("ParseHost([::1]) = %+v", h)
	}
	if h := mustHost("::ffff:10.0.0.1"); !h.IsIP {
		t.Errorf("ParseHost(::ffff:10.0.0.1) = %+v", h)
	}
	tests := []struct {
		egress, host string
		want         bool
	}{
		{"https://slack.com/api/", "slack.com", true},
		{"https://slack.com/api/", "api.slack.com", false},
		{"https://*.example.com/", "a.example.com", true},
		{"https://*.example.com/", "example.com", false},
		{"https://*.example.com/", "*.example.com", true},
		{"https://*.example.com/", "*.a.example.com", true},
		{"https://*.a.example.com/", "*.example.com", false},
		{"https://a.example.com/", "*.example.com", false},
	}
	for _, tc := range tests {
		e, err := ParseEgress(tc.egress)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.CoversHost(mustHost(tc.host)); got != tc.want {
			t.Errorf("%s covers %s = %v, want %v", tc.egress, tc.host, got, tc.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	valid := map[string]Bytes{"32MiB": 32 * MiB, "1GiB": GiB, "512KiB": 512 * KiB, "100B": 100, "4096": 4096, "0": 0}
	for in, want := range valid {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"32MB": "did you mean 32MiB", "32mb": "did you mean 32MiB", "1G": "did you mean 1GiB", "1.5GiB": "invalid size",
		"MiB": "invalid size", "-1MiB": "invalid size", "32 TiB": "unknown unit", "9999999999999GiB": "too large",
		"99999999999999999999": "too large", "": "invalid size",
	} {
		if _, err := ParseBytes(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseBytes(%q) = %v, want an error containing %q", in, err, msg)
		}
	}
	for b, want := range map[Bytes]string{32 * MiB: "32MiB", GiB: "1GiB", 1536: "1536B", 2048: "2KiB", 100: "100B", 0: "0B"} {
		if got := b.String(); got != want {
			t.Errorf("Bytes(%d).String() = %q, want %q", int64(b), got, want)
		}
	}
}
