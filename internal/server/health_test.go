package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHealthAndReadiness: /healthz answers while the process runs;
// /readyz answers 200 while the database answers and 503 (problem+json)
// once it does not, without a credential either way.
func TestHealthAndReadiness(t *testing.T) {
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t, driver)
			e.must(http.StatusOK, "GET", "/healthz", "", nil)
			if got := e.must(http.StatusOK, "GET", "/readyz", "", nil).obj(t); got["status"] != "ready" {
				t.Fatalf("/readyz = %v", got)
			}
			if err := e.st.Close(); err != nil {
				t.Fatal(err)
			}
			// Not through e.do, which fails any 5xx: this one is by design.
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/readyz", http.NoBody)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("/readyz with the database closed: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil || p["detail"] != "the database does not answer" {
				t.Fatalf("/readyz problem = %s (%v)", body, err)
			}
			e.must(http.StatusOK, "GET", "/healthz", "", nil)
		})
	}
}
