package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func newMK(t *testing.T) *MasterKey {
	t.Helper()
	mk, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

func newDK(t *testing.T, mk *MasterKey) (*DataKey, []byte) {
	t.Helper()
	dk, wrapped, err := NewDataKey(mk)
	if err != nil {
		t.Fatal(err)
	}
	return dk, wrapped
}

func wantDecryptErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrDecrypt) {
		t.Fatalf("%s: error = %v, want ErrDecrypt", what, err)
	}
}

func TestDataKeyWrapRoundTrip(t *testing.T) {
	mk := newMK(t)
	dk, wrapped := newDK(t, mk)
	if len(wrapped) != wrappedKeySize || wrapped[0] != wrapVersion {
		t.Fatalf("wrapped key is %d bytes, version %d", len(wrapped), wrapped[0])
	}
	again, err := UnwrapDataKey(mk, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != dk.Fingerprint() || dk.Fingerprint() == "" {
		t.Fatalf("unwrapped key %v differs from %v", again, dk)
	}
	nonce, ct, err := dk.Seal([]byte("s3cr3t"), AAD("w/s/e", "TOKEN"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := again.Open(nonce, ct, AAD("w/s/e", "TOKEN"))
	if err != nil || string(pt) != "s3cr3t" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	// Two data keys differ; two wrappings of keys differ.
	dk2, wrapped2 := newDK(t, mk)
	if dk2.Fingerprint() == dk.Fingerprint() || bytes.Equal(wrapped, wrapped2) {
		t.Fatal("two data keys are equal")
	}
}

func TestUnwrapWithWrongMasterKeyFails(t *testing.T) {
	_, wrapped := newDK(t, newMK(t))
	_, err := UnwrapDataKey(newMK(t), wrapped)
	wantDecryptErr(t, "wrong master key", err)
	if _, err := UnwrapDataKey(nil, wrapped); err == nil {
		t.Fatal("nil master key unwrapped")
	}
	if _, err := UnwrapDataKey(&MasterKey{}, wrapped); err == nil {
		t.Fatal("zero master key unwrapped")
	}
	if _, _, err := NewDataKey(&MasterKey{ID: "x"}); err == nil {
		t.Fatal("zero master key wrapped")
	}
}

func TestWrappedKeyTamperingFails(t *testing.T) {
	mk := newMK(t)
	_, wrapped := newDK(t, mk)
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x01
		_, err := UnwrapDataKey(mk, bad)
		wantDecryptErr(t, fmt.Sprintf("byte %d flipped", i), err)
	}
	for _, bad := range [][]byte{nil, wrapped[:len(wrapped)-1], append(bytes.Clone(wrapped), 0)} {
		_, err := UnwrapDataKey(mk, bad)
		wantDecryptErr(t, fmt.Sprintf("%d bytes", len(bad)), err)
	}
}

func TestSealOpen(t *testing.T) {
	mk := newMK(t)
	dk, _ := newDK(t, mk)
	other, _ := newDK(t, mk)
	plain := []byte("xoxb-123-slack-token")
	aad := AAD("w1/cust-1/invoices", "SLACK_TOKEN")
	nonce, ct, err := dk.Seal(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, plain) {
		t.Fatal("ciphertext contains the plaintext")
	}
	n2, ct2, _ := dk.Seal(plain, aad)
	if bytes.Equal(nonce, n2) || bytes.Equal(ct, ct2) {
		t.Fatal("two seals share a nonce or ciphertext")
	}
	got, err := dk.Open(nonce, ct, aad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Empty plaintext round-trips too.
	n0, c0, _ := dk.Seal(nil, aad)
	if got, err := dk.Open(n0, c0, aad); err != nil || len(got) != 0 {
		t.Fatalf("empty Open = %q, %v", got, err)
	}

	_, err = other.Open(nonce, ct, aad)
	wantDecryptErr(t, "wrong data key", err)
	for _, a := range []string{
		AAD("w1/cust-1/invoices", "SLACK_TOKEN2"),
		AAD("w1/cust-2/invoices", "SLACK_TOKEN"),
		AAD("w2/cust-1/invoices", "SLACK_TOKEN"),
		AAD("w1/cust-1/invoices/SLACK_TOKEN", ""),
		"w1/cust-1/invoices/SLACK_TOKEN",
		"",
		SigningSecretAAD("w1"),
	} {
		_, err := dk.Open(nonce, ct, a)
		wantDecryptErr(t, fmt.Sprintf("aad %q", a), err)
	}
	for i := range nonce {
		bad := bytes.Clone(nonce)
		bad[i] ^= 0x80
		_, err := dk.Open(bad, ct, aad)
		wantDecryptErr(t, "nonce tampered", err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x80
		_, err := dk.Open(nonce, bad, aad)
		wantDecryptErr(t, "ciphertext tampered", err)
	}
	_, err = dk.Open(nonce[:8], ct, aad)
	wantDecryptErr(t, "short nonce", err)
	_, err = dk.Open(nonce, ct[:10], aad)
	wantDecryptErr(t, "short ciphertext", err)
	_, err = dk.Open(nonce, append(bytes.Clone(ct), 0), aad)
	wantDecryptErr(t, "extended ciphertext", err)

	var zero *DataKey
	if _, _, err := zero.Seal(plain, aad); err == nil {
		t.Fatal("nil data key sealed")
	}
	if _, err := (&DataKey{}).Open(nonce, ct, aad); err == nil {
		t.Fatal("zero data key opened")
	}
	if SigningSecretAAD("w1") == SigningSecretAAD("w2") {
		t.Fatal("signing secret AAD does not bind the workspace")
	}
}

func TestRewrap(t *testing.T) {
	oldMK, newMKey := newMK(t), newMK(t)
	dk, wrapped := newDK(t, oldMK)
	nonce, ct, _ := dk.Seal([]byte("v"), "a")

	rewrapped, err := Rewrap(oldMK, newMKey, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	_, err = UnwrapDataKey(oldMK, rewrapped)
	wantDecryptErr(t, "old key on rewrapped", err)
	got, err := UnwrapDataKey(newMKey, rewrapped)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := got.Open(nonce, ct, "a"); err != nil || string(pt) != "v" {
		t.Fatalf("secret after rotation: %q, %v", pt, err)
	}
	_, err = Rewrap(newMKey, oldMK, wrapped)
	wantDecryptErr(t, "rewrap with the wrong old key", err)
	if _, err := Rewrap(oldMK, nil, wrapped); err == nil {
		t.Fatal("rewrap to a nil key")
	}
}

func TestParseMasterKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0x5a}, KeySize)
	std := base64.StdEncoding.EncodeToString(raw)
	a, err := ParseMasterKey(std + "\n")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseMasterKey(base64.RawStdEncoding.EncodeToString(raw))
	if err != nil || a.ID != b.ID || len(a.ID) != 8 {
		t.Fatalf("ids %q %q, %v", a.ID, b.ID, err)
	}
	// The ID is the first 8 hex digits of sha256(key).
	if want := sha256Hex(raw)[:8]; a.ID != want {
		t.Fatalf("ID = %q, want %q", a.ID, want)
	}
	for _, bad := range []string{"", "   ", "not base64!!", base64.StdEncoding.EncodeToString(raw[:16]), base64.StdEncoding.EncodeToString(append(raw, 1))} {
		_, err := ParseMasterKey(bad)
		if err == nil {
			t.Fatalf("ParseMasterKey(%q) succeeded", bad)
		}
		if strings.TrimSpace(bad) != "" && strings.Contains(err.Error(), strings.TrimSpace(bad)) {
			t.Fatalf("error %q echoes the input", err)
		}
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	t.Setenv(MasterKeyEnv, "")
	if mk, ok, err := MasterKeyFromEnv(); mk != nil || ok || err != nil {
		t.Fatalf("empty env: %v %v %v", mk, ok, err)
	}
	raw := bytes.Repeat([]byte{7}, KeySize)
	t.Setenv(MasterKeyEnv, base64.StdEncoding.EncodeToString(raw))
	mk, ok, err := MasterKeyFromEnv()
	if err != nil || !ok || mk.ID != sha256Hex(raw)[:8] {
		t.Fatalf("env key: %v %v %v", mk, ok, err)
	}
	short := base64.StdEncoding.EncodeToString(raw[:31])
	t.Setenv(MasterKeyEnv, short)
	mk, ok, err = MasterKeyFromEnv()
	if mk != nil || !ok || err == nil || !strings.Contains(err.Error(), MasterKeyEnv) || strings.Contains(err.Error(), short) {
		t.Fatalf("short env key: %v %v %v", mk, ok, err)
	}
}

// TestKeysNeverPrint prints keys every way fmt, JSON and errors can and
// looks for the key bytes in any encoding.
func TestKeysNeverPrint(t *testing.T) {
	raw := make([]byte, KeySize)
	for i := range raw {
		raw[i] = byte(0xa0 + i)
	}
	mk, err := ParseMasterKey(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	dk, wrapped := newDK(t, mk)
	dkRaw, err := unwrap(mk, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		M     MasterKey
		PM    *MasterKey
		D     DataKey
		PD    *DataKey
		inner *MasterKey
		any   []any
	}
	h := holder{M: *mk, PM: mk, D: *dk, PD: dk, inner: mk, any: []any{mk, dk, *mk, *dk}}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		for _, v := range []any{mk, *mk, dk, *dk, h, &h, []*MasterKey{mk}, map[string]*DataKey{"k": dk}} {
			out = append(out, fmt.Sprintf(verb, v))
		}
	}
	for _, v := range []any{mk, dk, h} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(j))
	}
	// Errors of every failing operation.
	other := newMK(t)
	_, e1 := UnwrapDataKey(other, wrapped)
	_, e2 := Rewrap(other, mk, wrapped)
	n, c, _ := dk.Seal([]byte("plaintext-canary"), "aad")
	_, e3 := dk.Open(n, c, "other-aad")
	_, e4 := dk.Open(n[:3], c, "aad")
	for _, e := range []error{e1, e2, e3, e4} {
		if e == nil {
			t.Fatal("expected an error")
		}
		out = append(out, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
	}
	if !strings.Contains(fmt.Sprint(mk), "vault.MasterKey("+mk.ID+")") || fmt.Sprintf("%#v", *mk) != "vault.MasterKey("+mk.ID+")" {
		t.Fatalf("MasterKey prints as %v / %#v", mk, *mk)
	}
	if fmt.Sprintf("%+v", dk) != "vault.DataKey("+dk.Fingerprint()+")" {
		t.Fatalf("DataKey prints as %+v", dk)
	}
	for _, key := range [][]byte{raw, dkRaw} {
		needles := []string{
			string(key), hex.EncodeToString(key), strings.ToUpper(hex.EncodeToString(key)),
			base64.StdEncoding.EncodeToString(key)[:20], base64.RawURLEncoding.EncodeToString(key)[:20],
			strings.Trim(fmt.Sprint([]int{int(key[0]), int(key[1]), int(key[2]), int(key[3])}), "[]"), // "160 161 162 163", as %v/%d print bytes
			hex.EncodeToString(key[:6]),
		}
		for _, s := range out {
			for _, n := range needles {
				if strings.Contains(s, n) || strings.Contains(s, "plaintext-canary") {
					t.Fatalf("printed form %q reveals key material", s)
				}
			}
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
