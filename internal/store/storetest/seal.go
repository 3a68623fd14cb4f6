package storetest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"
)

// sealForTest encrypts like the server does (AES-256-GCM) with a throwaway
// key and returns nonce||ciphertext.
func sealForTest(t *testing.T, plaintext []byte) []byte {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	must(t, err)
	gcm, err := cipher.NewGCM(block)
	must(t, err)
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plaintext, nil)
}
