package egress

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestRedactor: every encoding of a secret the guard detects in requests is
// replaced in text, and nothing else is.
func TestRedactor(t *testing.T) {
	const v = "sk/live+do-not=print <x>"
	r := NewRedactor([]SecretBinding{{Name: "K", Value: v}, {Name: "EMPTY"}})
	j, _ := json.Marshal(v)
	forms := []string{
		v, url.QueryEscape(v), url.PathEscape(v), strings.ToLower(url.QueryEscape(v)),
		"sk%2Flive+do-not=print%20%3cx%3E", // a mix of escaped and literal bytes
		string(j[1 : len(j)-1]), hex.EncodeToString([]byte(v)), strings.ToUpper(hex.EncodeToString([]byte(v))),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)),
	}
	for _, f := range forms {
		got := r.Redact("before " + f + " after")
		if got != "before [secret K] after" {
			t.Errorf("Redact(%q) = %q", f, got)
		}
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+v))
	if got := r.Redact(basic); strings.Contains(got, base64.StdEncoding.EncodeToString([]byte("user:"+v))) || !strings.Contains(got, "[secret K]") {
		t.Errorf("Basic credentials: %q", got)
	}
	if got := r.Redact("sk/live and print"); got != "sk/live and print" {
		t.Errorf("unrelated text changed: %q", got)
	}
	bad := NewRedactor([]SecretBinding{{Name: "B", Value: "ab\xffcd\xfe"}})
	if got := bad.Redact("x ab\xffcd\xfe y"); got != "x [secret B] y" {
		t.Errorf("invalid UTF-8 value: %q", got)
	}
	var none *Redactor
	if none.Redact("text") != "text" {
		t.Error("nil Redactor changed its input")
	}
}
