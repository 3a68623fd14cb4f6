package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFetcherFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "doc.yaml"), []byte("openapi: 3.0.0"), 0o644)
	mustWrite(t, filepath.Join(dir, "big.json"), make([]byte, 2048), 0o644)
	f := &Fetcher{MaxBytes: 1024}
	ctx := context.Background()

	data, err := f.Read(ctx, dir, "doc.yaml")
	if err != nil || string(data) != "openapi: 3.0.0" {
		t.Fatalf("Read = %q, %v", data, err)
	}
	for loc, want := range map[string]string{
		"missing.yaml":  "missing.yaml: cannot read: no such file or directory",
		".":             ".: is a directory",
		"big.json":      "big.json: file is 2048 bytes, more than the 1024-byte limit",
		"ftp://x/y":     `ftp://x/y: unsupported URL scheme "ftp"`,
		"file:///etc/x": `file:///etc/x: unsupported URL scheme "file"`,
	} {
		_, err := f.Read(ctx, dir, loc)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Read(%q) = %v, want prefix %q", loc, err, want)
		}
	}
}

func TestFetcherURLs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/doc":
			_, _ = w.Write([]byte(`{"ok":true}`))
		case "/big":
			_, _ = w.Write(make([]byte, 4096))
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	_, err := NewFetcher(false).Read(ctx, "", srv.URL+"/doc")
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Hint, "--allow-private-network") || !strings.Contains(ie.Msg, "refused to connect") {
		t.Fatalf("loopback URL: got %v", err)
	}

	f := &Fetcher{AllowPrivate: true, MaxBytes: 1024, Timeout: 200 * time.Millisecond}
	data, err := f.Read(ctx, "", srv.URL+"/doc")
	if err != nil || string(data) != `{"ok":true}` {
		t.Fatalf("Read = %q, %v", data, err)
	}
	if _, err := f.Read(ctx, "", srv.URL+"/nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404: got %v", err)
	}
	if _, err := f.Read(ctx, "", srv.URL+"/big"); err == nil || !strings.Contains(err.Error(), "larger than the 1024-byte limit") {
		t.Fatalf("big: got %v", err)
	}
	if _, err := f.Read(ctx, "", srv.URL+"/slow"); err == nil || !strings.Contains(err.Error(), srv.URL+"/slow") {
		t.Fatalf("slow: got %v", err)
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {4, 2, 2}, {7, 4, 1}, {100, 4, 3}, {-5, 1, 1}} {
		l, c := LineCol(data, tc.off)
		if l != tc.line || c != tc.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
	e := &InputError{File: "a.json", Line: 3, Col: 7, Msg: "bad", Hint: "fix it"}
	if e.Error() != "a.json:3:7: bad\n  hint: fix it" {
		t.Fatalf("%q", e.Error())
	}
}

func mustWrite(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}
