package egress

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/forgehq/forge/internal/manifest"
)

// minCoreLen is the length (in bytes) of the shortest 3-byte-aligned middle
// of a secret whose base64 the guard looks for inside longer encoded
// strings (like the base64 of "user:secret" in Basic auth): 6 bytes, 8
// characters. Shorter fragments would match unrelated text too often.
const minCoreLen = 6

// secret is a SecretBinding prepared for matching: the forms of its value
// the guard looks for, longest first.
type secret struct {
	name    string
	hosts   []manifest.Host
	needles []string
}

func newSecret(b SecretBinding) secret {
	s := secret{name: b.Name, hosts: b.Hosts}
	v := b.Value
	set := map[string]bool{v: true}
	add := func(n string) {
		if n != "" {
			set[n] = true
		}
	}
	// URL escaping (query and path flavours; the haystacks are also
	// percent-decoded, which covers other case and escaping choices).
	add(url.QueryEscape(v))
	add(url.PathEscape(v))
	// JSON string escaping, with and without HTML escaping.
	if j, err := json.Marshal(v); err == nil {
		add(string(j[1 : len(j)-1]))
	}
	var jb strings.Builder
	enc := json.NewEncoder(&jb)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		j := strings.TrimSpace(jb.String())
		add(j[1 : len(j)-1])
	}
	// Hex.
	add(hex.EncodeToString([]byte(v)))
	add(strings.ToUpper(hex.EncodeToString([]byte(v))))
	// Base64 of the value on its own (padding-free forms are prefixes of the
	// padded ones), and of the value at each of the three byte alignments
	// inside a longer encoded string: the encoding of the 3-byte-aligned
	// middle of the value appears verbatim whatever precedes it.
	for _, e := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		add(e.EncodeToString([]byte(v)))
		for skip := range min(3, len(v)) {
			mid := v[skip:]
			mid = mid[:len(mid)/3*3]
			if len(mid) >= minCoreLen {
				add(e.EncodeToString([]byte(mid)))
			}
		}
	}
	for n := range set {
		s.needles = append(s.needles, n)
	}
	sort.Slice(s.needles, func(i, j int) bool {
		if len(s.needles[i]) != len(s.needles[j]) {
			return len(s.needles[i]) > len(s.needles[j])
		}
		return s.needles[i] < s.needles[j]
	})
	return s
}

// boundTo reports whether the secret may be sent to host.
func (s secret) boundTo(host string) bool {
	for _, h := range s.hosts {
		if h.Matches(host) {
			return true
		}
	}
	return false
}

// foundIn reports whether some form of the secret occurs in one of the
// texts.
func (s secret) foundIn(texts []string) bool {
	for _, t := range texts {
		for _, n := range s.needles {
			if strings.Contains(t, n) {
				return true
			}
		}
	}
	return false
}

// requestTexts returns the parts of a request a secret could hide in, each
// as written and percent-decoded, plus decoded Basic credentials. where
// names the part for error messages.
type requestPart struct {
	where string
	texts []string
}

func requestParts(u *url.URL, h http.Header, body []byte) []requestPart {
	var parts []requestPart
	if u != nil {
		parts = append(parts, requestPart{"URL", decodedForms(u.String())})
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		texts := decodedForms(k)
		for _, v := range h[k] {
			texts = append(texts, decodedForms(v)...)
			if user, pass, ok := parseBasic(v); ok {
				texts = append(texts, user, pass, user+":"+pass)
			}
		}
		parts = append(parts, requestPart{"header " + k, texts})
	}
	if len(body) > 0 {
		parts = append(parts, requestPart{"body", decodedForms(string(body))})
	}
	return parts
}

// decodedForms returns s, and s percent-decoded (with and without '+' as a
// space) when it has anything to decode. Invalid escapes are kept as they
// are, so one stray '%' does not hide the rest.
func decodedForms(s string) []string {
	out := []string{s}
	if strings.IndexByte(s, '%') >= 0 {
		out = append(out, lenientUnescape(s, false))
	}
	if strings.IndexByte(s, '+') >= 0 {
		out = append(out, lenientUnescape(s, true))
	}
	return out
}

func lenientUnescape(s string, plusIsSpace bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c == '+' && plusIsSpace:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// parseBasic decodes "Basic <base64(user:pass)>" credentials in any of the
// base64 alphabets.
func parseBasic(v string) (user, pass string, ok bool) {
	scheme, cred, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found || !strings.EqualFold(scheme, "basic") {
		return "", "", false
	}
	cred = strings.TrimSpace(cred)
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := e.DecodeString(cred); err == nil {
			user, pass, _ = strings.Cut(string(d), ":")
			return user, pass, true
		}
	}
	return "", "", false
}

// redact replaces every form of every secret value in s.
func (g *Guard) redact(s string) string { return g.redactor.Redact(s) }

// Redactor replaces secret values in text that is printed or saved (logs,
// errors, HTTP call records, output, recordings) by "[secret NAME]", in every
// form the Guard looks for in requests: as written, percent-encoded (any
// mix of escaped and literal bytes, '+' for a space, either hex case),
// JSON-escaped, in hex, in base64 (alone or inside a longer base64 string,
// as in Basic credentials). A nil or empty Redactor returns its input. It
// is safe for concurrent use.
type Redactor struct {
	secrets []redactSecret
}

type redactSecret struct {
	repl string
	raw  string // set for a value that is not valid UTF-8, replaced as is
	re   *regexp.Regexp
}

// NewRedactor returns a Redactor for the values of secrets; empty values
// are ignored. The Hosts of the bindings are not used.
func NewRedactor(secrets []SecretBinding) *Redactor {
	r := &Redactor{}
	for _, b := range secrets {
		if b.Value == "" {
			continue
		}
		rs := redactSecret{repl: "[secret " + b.Name + "]"}
		var alts []string
		if utf8.ValidString(b.Value) {
			alts = append(alts, percentPattern(b.Value))
		} else {
			rs.raw = b.Value
		}
		for _, n := range newSecret(b).needles {
			if utf8.ValidString(n) {
				alts = append(alts, regexp.QuoteMeta(n))
			}
		}
		rs.re = regexp.MustCompile("(?:" + strings.Join(alts, "|") + ")")
		rs.re.Longest()
		r.secrets = append(r.secrets, rs)
	}
	return r
}

// percentPattern matches v with any of its characters percent-encoded
// (the bytes of its UTF-8 encoding, hex in either case), and a space also
// as '+'.
func percentPattern(v string) string {
	var b strings.Builder
	for _, c := range v {
		b.WriteString("(?:")
		b.WriteString(regexp.QuoteMeta(string(c)))
		b.WriteString("|")
		for _, x := range []byte(string(c)) {
			fmt.Fprintf(&b, "%%(?i:%02x)", x)
		}
		if c == ' ' {
			b.WriteString(`|\+`)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Redact returns s with every form of every secret value replaced.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		if sec.raw != "" {
			s = strings.ReplaceAll(s, sec.raw, sec.repl)
		}
		s = sec.re.ReplaceAllLiteralString(s, sec.repl)
	}
	return s
}
