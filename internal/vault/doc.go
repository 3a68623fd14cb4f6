// Package vault keeps secrets encrypted at rest (invariant 7): the server's
// master key, the per-workspace data keys it wraps, and the AES-256-GCM
// encryption of namespace secrets and signing secrets with a data key.
//
// # Keys
//
// The master key is 32 random bytes, given base64-encoded either in the
// FORGE_MASTER_KEY environment variable (MasterKeyFromEnv) or in a file
// (LoadOrCreateMasterKey). A missing file is created with mode 0600, so that
// `forge server` runs with no setup; a file that group or others can read is
// refused. Its ID is the first 8 hex digits of SHA-256(key): enough to tell
// which master key wrapped a data key (store.DataKey.MasterKeyID), and
// nothing about the key.
//
// Each workspace has data keys (NewDataKey): 32 random bytes, stored only
// wrapped by the master key with AES-256-GCM and the additional data
// "forge-datakey-v1". A wrapped key is
//
//	0x01 || nonce (12 bytes) || AES-256-GCM(master, nonce, key, "forge-datakey-v1") (48 bytes)
//
// 61 bytes in all; the leading version byte leaves room for another scheme.
// Rotating the master key re-wraps every data key (Rewrap); the data keys,
// and so the secrets, do not change.
//
// # Secrets
//
// DataKey.Seal encrypts with AES-256-GCM under a fresh random 12-byte nonce
// and binds the ciphertext to where it belongs through the additional data:
// AAD(namespace, name) = namespace + "\x00" + name for namespace secrets,
// SigningSecretAAD(workspaceID) for the workspace signing secret. A
// ciphertext copied to another namespace or name does not open. Random
// nonces allow about 2^32 encryptions per data key; rotate data keys long
// before that.
//
// # Never printable
//
// MasterKey and DataKey print as "vault.MasterKey(<id>)" and
// "vault.DataKey(<fingerprint>)" with every fmt verb (%v, %+v, %#v, %s, %x
// …), their key bytes sit behind a pointer (so a key nested in another value
// prints as an address), and they marshal to JSON without key bytes. Errors
// never contain key material or plaintext. Go cannot reliably wipe memory,
// so keys are not zeroed.
package vault
