package server

import (
	"net/http"
	"testing"
	"time"
)

// TestNamespaceConfig: config entries carry the server's clock, read back
// as written; a missing key and a missing extension are told apart.
func TestNamespaceConfig(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			at := time.Date(2031, 2, 3, 4, 5, 6, 789000, time.UTC)
			e := newEnv(t, driver, func(d *Deps) { d.Now = func() time.Time { return at } })
			s := e.setup("acme")
			cfg := func(p string) string { return s.ws.ext(s.subject, s.ext, p) }
			want := at.Format(time.RFC3339Nano)
			put := e.must(http.StatusOK, "PUT", cfg("/config/channel"), s.token, map[string]any{"value": "#ops"}).obj(t)
			got := e.must(http.StatusOK, "GET", cfg("/config/channel"), s.token, nil).obj(t)
			for _, m := range []map[string]any{put, got} {
				if m["key"] != "channel" || m["value"] != "#ops" || m["updatedAt"] != want {
					t.Fatalf("config entry = %v, want updatedAt %s", m, want)
				}
			}
			for _, tc := range []struct{ method, path, detail string }{
				{"GET", cfg("/config/missing"), "no such config key"},
				{"GET", s.ws.ext(s.subject, "missing", "/config/channel"), "no such extension"},
				{"PUT", s.ws.ext(s.subject, "missing", "/config/channel"), "no such extension"},
				{"GET", s.ws.ext(s.subject, "missing", "/config"), "no such extension"},
				{"GET", s.ws.ext(s.subject, "missing", "/secrets"), "no such extension"},
				{"PUT", s.ws.ext(s.subject, "missing", "/secrets/TOKEN"), "no such extension"},
			} {
				var body any
				if tc.method == "PUT" {
					body = map[string]any{"value": "v"}
				}
				p := e.must(http.StatusNotFound, tc.method, tc.path, s.token, body).obj(t)
				if p["detail"] != tc.detail {
					t.Errorf("%s %s: detail %q, want %q", tc.method, tc.path, p["detail"], tc.detail)
				}
			}
		})
	}
}
