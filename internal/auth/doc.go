// Package auth defines the credentials of the forge server and the principal
// a request authenticates as: credential formats, generation, hashing,
// parsing, permissions and the authorization checks every handler asks.
//
// # Credential formats
//
// Every credential is a kind prefix followed by 32 bytes from crypto/rand,
// encoded in lower-case base32 (RFC 4648 alphabet a-z2-7, no padding): 52
// characters, 56 in all. The last character carries one bit, so it is always
// 'a' or 'q'; Parse rejects any other (a re-encoding check), which catches
// many typos without a database look-up.
//
//	cwa_<52>  KindAPIKey         workspace API key
//	cws_<52>  KindSigningSecret  workspace signing secret (signs dispatches)
//	atk_<52>  KindBuildToken     build token: one subject, explicit permissions
//	adm_<52>  KindAdmin          operator (admin) bootstrap credential
//
// The admin credential has its own prefix rather than being a cwa_ key with
// a special scope: it is not bound to a workspace, and a distinct prefix makes
// it impossible to confuse with a workspace key in code, logs or secret
// scanners.
//
// Credentials embed no id. The server looks a credential up by its hash
// (store.KeyStore.LookupAPIKey, store.TokenStore.LookupBuildToken), so an id
// adds nothing to look-up, and the random part stays a full 256 bits. For
// listings and logs, DisplayPrefix gives the kind prefix and the first 8
// characters of the random part ("cwa_k3j5x7ab"), the value kept in
// store.APIKey.Prefix; it identifies a key to a human and leaves 216 unknown
// bits.
//
// # Hashing
//
// API keys, build tokens and the admin credential are stored only as
// Hash(plain) = SHA-256(plain). A slow password hash (bcrypt, scrypt,
// argon2) exists to make guessing low-entropy passwords expensive; these
// credentials are 256-bit random values that no amount of guessing finds,
// so a slow hash would only add latency to every request and make hash
// look-ups impossible (those hashes are salted). SHA-256 is deterministic,
// so the database can index the hash and authentication is one indexed read.
// Signing secrets are the exception: the server needs the plain value to
// compute HMACs, so it stores them encrypted (package vault); their hash is
// a fingerprint only.
//
// # Errors
//
// Errors never contain the credential or any part of it: Parse says what is
// wrong (prefix, length, character position) without echoing the value.
//
// # Authorization
//
// A request authenticates as a Principal. Principal.Can checks a
// permission, CanActOnWorkspace the workspace boundary (invariant 1) and
// CanActOnSubject the subject boundary of build tokens. Token expiry and
// revocation (invariant 6) are checked by the store look-up on every
// request, never cached here.
package auth
