package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of master and data keys in bytes (AES-256).
const KeySize = 32

const (
	dataKeyAAD     = "forge-datakey-v1"
	wrapVersion    = 1
	nonceSize      = 12
	tagSize        = 16
	wrappedKeySize = 1 + nonceSize + KeySize + tagSize
)

// ErrDecrypt is wrapped by the errors of UnwrapDataKey, Rewrap and Open when
// the ciphertext does not open: wrong key, wrong additional data, or
// tampering. The error never says which.
var ErrDecrypt = errors.New("vault: ciphertext does not open")

// material is the cipher built from a key (the raw bytes are not kept) and
// the key's fingerprint. Keys hold it behind a pointer so that fmt never
// reaches the cipher's expanded key.
type material struct {
	aead cipher.AEAD
	id   string
}

func newMaterial(key []byte) (*material, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("vault: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	sum := sha256.Sum256(key)
	return &material{aead: aead, id: hex.EncodeToString(sum[:4])}, nil
}

// Format keeps the cipher (whose state holds the expanded key) unprintable
// even if a *material is reached by reflection-based printers.
func (m *material) Format(f fmt.State, _ rune) { fmt.Fprint(f, "vault.key") }

func (m *material) seal(plaintext []byte, aad string) (nonce, ciphertext []byte, err error) {
	nonce = make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("vault: read random nonce: %w", err)
	}
	return nonce, m.aead.Seal(nil, nonce, plaintext, []byte(aad)), nil
}

func (m *material) open(nonce, ciphertext []byte, aad string) ([]byte, error) {
	if len(nonce) != nonceSize {
		return nil, fmt.Errorf("%w: nonce is %d bytes, want %d", ErrDecrypt, len(nonce), nonceSize)
	}
	if len(ciphertext) < tagSize {
		return nil, fmt.Errorf("%w: ciphertext is shorter than the authentication tag", ErrDecrypt)
	}
	pt, err := m.aead.Open(nil, nonce, ciphertext, []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key, wrong additional data, or tampered", ErrDecrypt)
	}
	return pt, nil
}

// MasterKey is the server's master key. Its zero value is not usable; get
// one from LoadOrCreateMasterKey, MasterKeyFromEnv, ParseMasterKey or
// GenerateMasterKey. It never prints its key bytes.
type MasterKey struct {
	// ID is the first 8 hex digits of SHA-256(key), recorded with every
	// data key it wraps (store.DataKey.MasterKeyID).
	ID string
	m  *material
}

func newMasterKey(key []byte) (*MasterKey, error) {
	m, err := newMaterial(key)
	if err != nil {
		return nil, err
	}
	return &MasterKey{ID: m.id, m: m}, nil
}

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() (*MasterKey, error) {
	mk, _, err := generateMasterKey()
	return mk, err
}

// generateMasterKey also returns the base64 encoding, for writing the file.
func generateMasterKey() (*MasterKey, string, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, "", fmt.Errorf("vault: read random key: %w", err)
	}
	mk, err := newMasterKey(b)
	if err != nil {
		return nil, "", err
	}
	return mk, base64.StdEncoding.EncodeToString(b), nil
}

// ParseMasterKey decodes a base64 (standard alphabet, padded or not) master
// key of 32 bytes. Surrounding white space is ignored. Errors never contain
// the input.
func ParseMasterKey(s string) (*MasterKey, error) {
	mk, err := parseKey(s)
	if err != nil {
		return nil, fmt.Errorf("vault: master key %w", err)
	}
	return mk, nil
}

// parseKey's errors read after "master key …".
func parseKey(s string) (*MasterKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("is empty (want 32 bytes, base64)")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("is not valid base64 (want 32 bytes, base64)")
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("is %d bytes, want %d (base64)", len(b), KeySize)
	}
	return newMasterKey(b)
}

// String returns "vault.MasterKey(<id>)".
func (k MasterKey) String() string {
	return "vault.MasterKey(" + k.ID + ")"
}

// GoString returns the same as String, for %#v.
func (k MasterKey) GoString() string { return k.String() }

// Format prints String for every verb and flag.
func (k MasterKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

func (k *MasterKey) usable() error {
	if k == nil || k.m == nil {
		return errors.New("vault: master key is not loaded")
	}
	return nil
}

// DataKey is a workspace data key in the clear, for Seal and Open. It never
// prints its key bytes.
type DataKey struct {
	m *material
}

// String returns "vault.DataKey(<fingerprint>)", the fingerprint being the
// first 8 hex digits of SHA-256(key).
func (k DataKey) String() string {
	if k.m == nil {
		return "vault.DataKey()"
	}
	return "vault.DataKey(" + k.m.id + ")"
}

// GoString returns the same as String, for %#v.
func (k DataKey) GoString() string { return k.String() }

// Format prints String for every verb and flag.
func (k DataKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Fingerprint returns the first 8 hex digits of SHA-256(key).
func (k *DataKey) Fingerprint() string {
	if k == nil || k.m == nil {
		return ""
	}
	return k.m.id
}

// NewDataKey returns a new random data key and its wrapping under mk, which
// is what the store keeps (store.DataKey.Wrapped, with MasterKeyID mk.ID).
func NewDataKey(mk *MasterKey) (plain *DataKey, wrapped []byte, err error) {
	if err := mk.usable(); err != nil {
		return nil, nil, err
	}
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, fmt.Errorf("vault: read random key: %w", err)
	}
	m, err := newMaterial(b)
	if err != nil {
		return nil, nil, err
	}
	wrapped, err = wrap(mk, b)
	if err != nil {
		return nil, nil, err
	}
	return &DataKey{m: m}, wrapped, nil
}

func wrap(mk *MasterKey, key []byte) ([]byte, error) {
	nonce, ct, err := mk.m.seal(key, dataKeyAAD)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, wrappedKeySize)
	out = append(out, wrapVersion)
	out = append(out, nonce...)
	return append(out, ct...), nil
}

func unwrap(mk *MasterKey, wrapped []byte) ([]byte, error) {
	if err := mk.usable(); err != nil {
		return nil, err
	}
	if len(wrapped) != wrappedKeySize || wrapped[0] != wrapVersion {
		return nil, fmt.Errorf("%w: wrapped data key is malformed (%d bytes, want %d, version %d)", ErrDecrypt, len(wrapped), wrappedKeySize, wrapVersion)
	}
	key, err := mk.m.open(wrapped[1:1+nonceSize], wrapped[1+nonceSize:], dataKeyAAD)
	if err != nil {
		return nil, fmt.Errorf("vault: unwrap data key with master key %s: %w", mk.ID, err)
	}
	return key, nil
}

// UnwrapDataKey opens a data key wrapped by NewDataKey or Rewrap under mk.
// It fails with ErrDecrypt when mk is not the key that wrapped it or the
// bytes were changed.
func UnwrapDataKey(mk *MasterKey, wrapped []byte) (*DataKey, error) {
	key, err := unwrap(mk, wrapped)
	if err != nil {
		return nil, err
	}
	m, err := newMaterial(key)
	if err != nil {
		return nil, err
	}
	return &DataKey{m: m}, nil
}

// Rewrap re-wraps a data key wrapped under oldKey so that it is wrapped
// under newKey, for master key rotation. The data key itself does not change.
func Rewrap(oldKey, newKey *MasterKey, wrapped []byte) ([]byte, error) {
	if err := newKey.usable(); err != nil {
		return nil, err
	}
	key, err := unwrap(oldKey, wrapped)
	if err != nil {
		return nil, err
	}
	return wrap(newKey, key)
}

// AAD returns the additional data that binds a namespace secret to its place:
// namespace + "\x00" + name (namespace as store.Namespace.String prints it).
func AAD(namespace, name string) string { return namespace + "\x00" + name }

// SigningSecretAAD returns the additional data of a workspace's signing
// secret (cws_…): it does not open as another workspace's.
func SigningSecretAAD(workspaceID string) string {
	return AAD(workspaceID, "\x00signing-secret")
}

// Seal encrypts plaintext with AES-256-GCM under a fresh random nonce, bound
// to aad (see AAD). It returns the nonce and the ciphertext (with its tag),
// which the store keeps as they are.
func (k *DataKey) Seal(plaintext []byte, aad string) (nonce, ciphertext []byte, err error) {
	if k == nil || k.m == nil {
		return nil, nil, errors.New("vault: data key is not loaded")
	}
	return k.m.seal(plaintext, aad)
}

// Open decrypts what Seal returned. It fails with ErrDecrypt if the key, the
// nonce, the ciphertext or aad differ from Seal's.
func (k *DataKey) Open(nonce, ciphertext []byte, aad string) ([]byte, error) {
	if k == nil || k.m == nil {
		return nil, errors.New("vault: data key is not loaded")
	}
	return k.m.open(nonce, ciphertext, aad)
}
