package auth

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestNewParseRoundTrip(t *testing.T) {
	for _, k := range Kinds() {
		seen := map[string]bool{}
		for range 50 {
			plain, hash, err := New(k)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(plain, k.Prefix()) || len(plain) != Len {
				t.Fatalf("%s: credential of %d chars with prefix %q", k, len(plain), plain[:4])
			}
			if seen[plain] {
				t.Fatalf("%s: duplicate credential", k)
			}
			seen[plain] = true
			want := sha256.Sum256([]byte(plain))
			if !bytes.Equal(hash, want[:]) || !bytes.Equal(Hash(plain), want[:]) {
				t.Fatalf("%s: hash is not sha256(plain)", k)
			}
			got, err := Parse(plain)
			if err != nil || got != k {
				t.Fatalf("%s: Parse = %q, %v", k, got, err)
			}
			if last := plain[Len-1]; last != 'a' && last != 'q' {
				t.Fatalf("%s: last character %q carries more than one bit", k, last)
			}
		}
	}
	if _, _, err := New("password"); err == nil {
		t.Fatal("New accepted an unknown kind")
	}
}

func TestKindPrefixes(t *testing.T) {
	want := map[Kind]string{KindAPIKey: "cwa_", KindSigningSecret: "cws_", KindBuildToken: "atk_", KindAdmin: "adm_"}
	for k, p := range want {
		if k.Prefix() != p || !k.Valid() {
			t.Fatalf("%s: prefix %q", k, k.Prefix())
		}
	}
	if Kind("x").Valid() || Kind("").Prefix() != "" {
		t.Fatal("unknown kind is valid")
	}
}

func TestParseRejectsNearMisses(t *testing.T) {
	good, _, err := New(KindAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	body := good[4:]
	flipLast := good[:Len-1] + map[byte]string{'a': "b", 'q': "r"}[good[Len-1]]
	cases := map[string]string{
		"empty":             "",
		"prefix only":       "cwa_",
		"unknown prefix":    "cwx_" + body,
		"upper prefix":      "CWA_" + body,
		"no underscore":     "cwa" + body,
		"short":             good[:Len-1],
		"long":              good + "a",
		"upper body":        "cwa_" + strings.ToUpper(body),
		"digit 1":           "cwa_1" + body[1:],
		"digit 8":           "cwa_8" + body[1:],
		"padding":           good[:Len-1] + "=",
		"leading space":     " " + good[:Len-1],
		"trailing newline":  good + "\n",
		"dash":              "cwa_" + body[:10] + "-" + body[11:],
		"non-canonical end": flipLast,
		"unicode":           "cwa_é" + body[2:],
		"other kind body":   "cws" + good[3:Len-1],
	}
	for name, s := range cases {
		k, err := Parse(s)
		if err == nil {
			t.Errorf("%s: Parse accepted it as %s", name, k)
			continue
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error does not wrap ErrMalformed: %v", name, err)
		}
		assertNoEcho(t, err.Error(), s)
		assertTemplate(t, err)
	}
}

// parseErr is every message Parse may return: fixed text, kind names and
// numbers, nothing taken from the input.
var parseErr = regexp.MustCompile(`^malformed credential: (empty|leading or trailing white space|unknown prefix \(want cwa_, cws_, atk_ or adm_\)|` +
	`(api-key|signing-secret|build-token|admin) (has \d+ characters, want 56|has (a character outside a-z and 2-7|an upper-case letter \(credentials are lower case\)) at position \d+|is not a canonical encoding \(mistyped last character\?\)))$`)

func assertTemplate(t *testing.T, err error) {
	t.Helper()
	if !parseErr.MatchString(err.Error()) {
		t.Fatalf("Parse error %q is not one of the fixed messages", err)
	}
}

// assertNoEcho fails if msg contains any 8-character run of secret.
func assertNoEcho(t *testing.T, msg, secret string) {
	t.Helper()
	if len(secret) <= 4 {
		return
	}
	body := secret[4:]
	for i := 0; i+8 <= len(body); i++ {
		if strings.Contains(strings.ToLower(msg), strings.ToLower(body[i:i+8])) {
			t.Fatalf("error %q echoes the credential", msg)
		}
	}
}

func TestParseErrorsSayWhere(t *testing.T) {
	good, _, _ := New(KindBuildToken)
	_, err := Parse(good[:10] + "1" + good[11:])
	if err == nil || !strings.Contains(err.Error(), "position 11") || !strings.Contains(err.Error(), "build-token") {
		t.Fatalf("error = %v", err)
	}
	_, err = Parse(good[:20])
	if err == nil || !strings.Contains(err.Error(), "20 characters, want 56") {
		t.Fatalf("error = %v", err)
	}
}

func TestDisplayPrefix(t *testing.T) {
	plain, _, _ := New(KindAPIKey)
	if got := DisplayPrefix(plain); got != plain[:12] {
		t.Fatalf("DisplayPrefix = %q", got)
	}
	if got := DisplayPrefix("hunter2-is-my-password"); got != "" {
		t.Fatalf("DisplayPrefix of a malformed value = %q", got)
	}
}

func TestContainsCredential(t *testing.T) {
	plain, _, _ := New(KindSigningSecret)
	for _, s := range []string{plain, "x" + plain, `{"k":"` + plain + `"}`, "key=" + plain + " more"} {
		if !ContainsCredential(s) {
			t.Errorf("ContainsCredential(%d-char text with a credential) = false", len(s))
		}
	}
	for _, s := range []string{"", "cwa_", "cws_ nothing", plain[:Len-1], plain + "b", "sha256:" + plain[4:]} {
		if ContainsCredential(s) {
			t.Errorf("ContainsCredential(%q) = true", s)
		}
	}
}

func TestParsePermissions(t *testing.T) {
	got, err := ParsePermissions([]string{"read", "build", "read", "manage"})
	if err != nil || !slices.Equal(got, []Permission{PermBuild, PermManage, PermRead}) {
		t.Fatalf("ParsePermissions = %v, %v", got, err)
	}
	if !slices.Equal(AllPermissions(), got) {
		t.Fatalf("AllPermissions = %v", AllPermissions())
	}
	for _, bad := range [][]string{nil, {}, {""}, {"admin"}, {"Build"}, {"read", " read"}} {
		if p, err := ParsePermissions(bad); err == nil {
			t.Errorf("ParsePermissions(%q) = %v, want error", bad, p)
		}
	}
}

func TestPrincipalCan(t *testing.T) {
	key := Principal{Kind: KindAPIKey, WorkspaceID: "w1", CredentialID: "k1"}
	readKey := Principal{Kind: KindAPIKey, WorkspaceID: "w1", Permissions: []Permission{PermRead}}
	tok := Principal{Kind: KindBuildToken, WorkspaceID: "w1", SubjectID: "s1", Permissions: []Permission{PermBuild, PermRead}}
	admin := Principal{Kind: KindAdmin, Admin: true}
	tests := []struct {
		name string
		p    Principal
		perm Permission
		want bool
	}{
		{"key build", key, PermBuild, true},
		{"key manage", key, PermManage, true},
		{"key read", key, PermRead, true},
		{"restricted key read", readKey, PermRead, true},
		{"restricted key manage", readKey, PermManage, false},
		{"key without workspace", Principal{Kind: KindAPIKey}, PermRead, false},
		{"token build", tok, PermBuild, true},
		{"token read", tok, PermRead, true},
		{"token manage", tok, PermManage, false},
		{"token without permissions", Principal{Kind: KindBuildToken, WorkspaceID: "w1", SubjectID: "s1"}, PermRead, false},
		{"token without subject", Principal{Kind: KindBuildToken, WorkspaceID: "w1", Permissions: []Permission{PermRead}}, PermRead, false},
		{"admin manage", admin, PermManage, true},
		{"admin unknown perm", admin, "root", false},
		{"key unknown perm", key, "root", false},
		{"signing secret", Principal{Kind: KindSigningSecret, WorkspaceID: "w1", Permissions: AllPermissions()}, PermRead, false},
		{"zero principal", Principal{}, PermRead, false},
		{"admin kind without flag", Principal{Kind: KindAdmin}, PermRead, false},
	}
	for _, tt := range tests {
		if got := tt.p.Can(tt.perm); got != tt.want {
			t.Errorf("%s: Can(%s) = %v, want %v", tt.name, tt.perm, got, tt.want)
		}
	}
}

func TestPrincipalScopes(t *testing.T) {
	key := Principal{Kind: KindAPIKey, WorkspaceID: "w1"}
	tok := Principal{Kind: KindBuildToken, WorkspaceID: "w1", SubjectID: "s1", Permissions: []Permission{PermBuild}}
	admin := Principal{Kind: KindAdmin, Admin: true}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"key own subject", key.CanActOnSubject("s1"), true},
		{"key other subject", key.CanActOnSubject("s2"), true},
		{"key empty subject", key.CanActOnSubject(""), false},
		{"token own subject", tok.CanActOnSubject("s1"), true},
		{"token other subject", tok.CanActOnSubject("s2"), false},
		{"token subject prefix", tok.CanActOnSubject("s"), false},
		{"token empty subject", tok.CanActOnSubject(""), false},
		{"token with empty own subject", Principal{Kind: KindBuildToken, WorkspaceID: "w1"}.CanActOnSubject(""), false},
		{"admin subject", admin.CanActOnSubject("s9"), true},
		{"signing secret subject", Principal{Kind: KindSigningSecret, WorkspaceID: "w1"}.CanActOnSubject("s1"), false},
		{"zero subject", Principal{}.CanActOnSubject("s1"), false},
		{"key own workspace", key.CanActOnWorkspace("w1"), true},
		{"key other workspace", key.CanActOnWorkspace("w2"), false},
		{"key empty workspace", Principal{Kind: KindAPIKey}.CanActOnWorkspace(""), false},
		{"token own workspace", tok.CanActOnWorkspace("w1"), true},
		{"token other workspace", tok.CanActOnWorkspace("w2"), false},
		{"admin any workspace", admin.CanActOnWorkspace("w2"), true},
		{"zero workspace", Principal{}.CanActOnWorkspace(""), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		headers []string
		want    string
		ok      bool
	}{
		{[]string{"Bearer abc"}, "abc", true},
		{[]string{"bearer abc"}, "abc", true},
		{[]string{"BEARER  abc"}, "abc", true},
		{nil, "", false},
		{[]string{""}, "", false},
		{[]string{"Bearer"}, "", false},
		{[]string{"Bearer "}, "", false},
		{[]string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "", false},
		{[]string{"Bearerabc"}, "", false},
		{[]string{"Bearer a b"}, "", false},
		{[]string{"Bearer abc\t"}, "", false},
		{[]string{"Bearer abc", "Bearer def"}, "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v1/x", http.NoBody)
		for _, h := range tt.headers {
			r.Header.Add("Authorization", h)
		}
		got, ok := BearerToken(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("headers %q: BearerToken = %q, %v; want %q, %v", tt.headers, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	plain, _, _ := New(KindAPIKey)
	f.Add(plain)
	f.Add("cwa_")
	f.Add("adm_" + strings.Repeat("a", 52))
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			assertTemplate(t, err)
			if DisplayPrefix(s) != "" {
				t.Fatal("DisplayPrefix of a malformed credential")
			}
			return
		}
		if !k.Valid() || len(s) != Len || !strings.HasPrefix(s, k.Prefix()) || !ContainsCredential(s) {
			t.Fatalf("Parse accepted %q as %s", s, k)
		}
	})
}
