package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a credential, told by its prefix.
type Kind string

// The credential kinds.
const (
	KindAPIKey        Kind = "api-key"        // cwa_…
	KindSigningSecret Kind = "signing-secret" // cws_…
	KindBuildToken    Kind = "build-token"    // atk_…
	KindAdmin         Kind = "admin"          // adm_…
)

// kinds lists every credential kind, in prefix-matching order.
var kinds = []Kind{KindAPIKey, KindSigningSecret, KindBuildToken, KindAdmin}

// Kinds returns every credential kind.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// Prefix returns the kind's prefix including the underscore ("cwa_"), or ""
// for an unknown kind.
func (k Kind) Prefix() string {
	switch k {
	case KindAPIKey:
		return "cwa_"
	case KindSigningSecret:
		return "cws_"
	case KindBuildToken:
		return "atk_"
	case KindAdmin:
		return "adm_"
	}
	return ""
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k.Prefix() != "" }

const (
	// SecretBytes is the number of random bytes in every credential.
	SecretBytes = 32
	prefixLen   = 4
	// BodyLen is the length of the encoded random part.
	BodyLen = (SecretBytes*8 + 4) / 5 // 52
	// Len is the length of a whole credential.
	Len = prefixLen + BodyLen // 56
	// displayLen is how many characters of the random part DisplayPrefix keeps.
	displayLen = 8
)

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("malformed credential")

// New returns a new credential of the given kind and its hash (Hash(plain)).
// plain is shown to its owner once; only hash is stored (signing secrets,
// which the server must be able to read back, are stored encrypted instead).
func New(kind Kind) (plain string, hash []byte, err error) {
	prefix := kind.Prefix()
	if prefix == "" {
		return "", nil, fmt.Errorf("auth: unknown credential kind %q", string(kind))
	}
	var b [SecretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("auth: read random bytes: %w", err)
	}
	plain = prefix + encoding.EncodeToString(b[:])
	return plain, Hash(plain), nil
}

// Hash returns SHA-256(plain): how API keys, build tokens and the admin
// credential are stored and looked up. See the package documentation for
// why a fast hash is right for 256-bit random credentials.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// Parse checks that plain is a well-formed credential (known prefix, length,
// alphabet, canonical encoding) and returns its kind. It does not say whether
// the credential is valid: only the store knows. Errors wrap ErrMalformed and
// never contain the value.
func Parse(plain string) (Kind, error) {
	if plain == "" {
		return "", fmt.Errorf("%w: empty", ErrMalformed)
	}
	if strings.TrimSpace(plain) != plain {
		return "", fmt.Errorf("%w: leading or trailing white space", ErrMalformed)
	}
	kind := kindOf(plain)
	if kind == "" {
		return "", fmt.Errorf("%w: unknown prefix (want cwa_, cws_, atk_ or adm_)", ErrMalformed)
	}
	if len(plain) != Len {
		return "", fmt.Errorf("%w: %s has %d characters, want %d", ErrMalformed, kind, len(plain), Len)
	}
	body := plain[prefixLen:]
	for i := 0; i < len(body); i++ {
		if !isBodyChar(body[i]) {
			what := "a character outside a-z and 2-7"
			if c := body[i]; c >= 'A' && c <= 'Z' {
				what = "an upper-case letter (credentials are lower case)"
			}
			return "", fmt.Errorf("%w: %s has %s at position %d", ErrMalformed, kind, what, prefixLen+i+1)
		}
	}
	raw, err := encoding.DecodeString(body)
	if err != nil || len(raw) != SecretBytes || encoding.EncodeToString(raw) != body {
		return "", fmt.Errorf("%w: %s is not a canonical encoding (mistyped last character?)", ErrMalformed, kind)
	}
	return kind, nil
}

// kindOf returns the kind whose prefix plain starts with, or "".
func kindOf(plain string) Kind {
	for _, k := range kinds {
		if strings.HasPrefix(plain, k.Prefix()) {
			return k
		}
	}
	return ""
}

func isBodyChar(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7') }

// DisplayPrefix returns the non-secret part of a credential shown in
// listings and logs: its prefix and the first 8 characters of its random
// part ("cwa_k3j5x7ab"). It returns "" for a malformed credential, so a
// mistyped value is never echoed.
func DisplayPrefix(plain string) string {
	if _, err := Parse(plain); err != nil {
		return ""
	}
	return plain[:prefixLen+displayLen]
}

// ContainsCredential reports whether s contains something that parses as a
// forge credential. The audit log uses it as a backstop against secrets in
// audit records (invariant 7).
func ContainsCredential(s string) bool {
	for _, k := range kinds {
		p := k.Prefix()
		rest := s
		for {
			i := strings.Index(rest, p)
			if i < 0 {
				break
			}
			if cand := rest[i:]; len(cand) >= Len {
				// A credential embedded in text ends where the alphabet
				// ends; require the whole 52-character run.
				if _, err := Parse(cand[:Len]); err == nil && (len(cand) == Len || !isBodyChar(cand[Len])) {
					return true
				}
			}
			rest = rest[i+len(p):]
		}
	}
	return false
}
