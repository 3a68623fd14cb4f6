package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestForbidden(t *testing.T) {
	forbidden := []string{
		"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"100.64.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "::7f00:1", "2002:a9fe:a9fe::1",
	}
	for _, s := range forbidden {
		if !Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed", s)
		}
	}
	public := []string{"8.8.8.8", "1.1.1.1", "140.82.112.3", "2606:4700:4700::1111", "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"}
	for _, s := range public {
		if Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s refused", s)
		}
	}
	if !Forbidden(netip.Addr{}) {
		t.Error("invalid address allowed")
	}
}

func TestClientRefusesLoopbackAtDialTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	get := func(p Policy, url string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := p.Client(5 * time.Second).Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}
	if err := get(Policy{}, srv.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback fetch: got %v, want ErrForbiddenAddress", err)
	}
	// "localhost" resolves to loopback: refused after resolution.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if err := get(Policy{}, "http://localhost:"+port+"/"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("localhost fetch: got %v", err)
	}
	if err := get(Policy{AllowPrivate: true}, srv.URL); err != nil {
		t.Fatalf("allowed fetch failed: %v", err)
	}
}

func TestClientRechecksRedirects(t *testing.T) {
	// With private addresses allowed, the guard still stops redirects to
	// non-http schemes.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	resp, err := Policy{AllowPrivate: true}.Client(5 * time.Second).Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("redirect to file:// followed")
	}
}
