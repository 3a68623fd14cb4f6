package server

import (
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
			r := e.must(http.StatusServiceUnavailable, "GET", "/readyz", "", nil)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("/readyz content type %q", ct)
			}
			if got := r.obj(t); got["status"] != float64(http.StatusServiceUnavailable) || got["detail"] != "the database does not answer" {
				t.Fatalf("/readyz problem = %v", got)
			}
			e.must(http.StatusOK, "GET", "/healthz", "", nil)
		})
	}
}
