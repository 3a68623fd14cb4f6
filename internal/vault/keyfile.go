package vault

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// MasterKeyEnv is the environment variable that holds the master key
// (32 bytes, base64). It takes precedence over the key file.
const MasterKeyEnv = "FORGE_MASTER_KEY"

// maxKeyFileSize bounds what LoadOrCreateMasterKey reads: a key file is 44
// bytes of base64 and perhaps a newline.
const maxKeyFileSize = 1024

// MasterKeyFromEnv reads the master key from FORGE_MASTER_KEY. It returns
// (nil, false, nil) when the variable is unset or empty, and an error (never
// containing the value) when it is set but not 32 bytes of base64.
func MasterKeyFromEnv() (*MasterKey, bool, error) {
	v, ok := os.LookupEnv(MasterKeyEnv)
	if !ok || v == "" {
		return nil, false, nil
	}
	mk, err := parseKey(v)
	if err != nil {
		return nil, true, fmt.Errorf("vault: master key in %s %w", MasterKeyEnv, err)
	}
	return mk, true, nil
}

// LoadOrCreateMasterKey reads the master key from the file at path (32
// bytes, base64), creating the file with a new random key and mode 0600 when
// it does not exist (created reports that). Creation is atomic and
// exclusive: the key is written to a temporary file that is then hard-linked
// to path, which fails if path exists; the loser of a race between
// processes reads the winner's key, so all end up with the same one. A file
// that group or others may read or write, a file that is not a regular file,
// and a file that does not hold exactly 32 bytes are refused.
func LoadOrCreateMasterKey(path string) (key *MasterKey, created bool, err error) {
	if path == "" {
		return nil, false, errors.New("vault: master key file: empty path")
	}
	mk, err := readKeyFile(path)
	if err == nil {
		return mk, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	mk, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process (or goroutine) created it first: use its key.
		mk, err = readKeyFile(path)
		return mk, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return mk, true, nil
}

// ReadMasterKeyFile reads the master key from the file at path, which must
// exist, with the checks of LoadOrCreateMasterKey.
func ReadMasterKeyFile(path string) (*MasterKey, error) { return readKeyFile(path) }

// CreateMasterKeyFile writes a new random master key to a new file at path
// (mode 0600), atomically, and returns it. It fails with an error wrapping
// fs.ErrExist when path exists.
func CreateMasterKeyFile(path string) (*MasterKey, error) { return createKeyFile(path) }

// ReplaceMasterKeyFile renames the key file at from over the one at to,
// after checking that from holds a master key, and syncs the directory, so
// that to holds either the old key or the new one, whole.
func ReplaceMasterKeyFile(from, to string) error {
	if _, err := readKeyFile(from); err != nil {
		return err
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("vault: master key file: %w", err)
	}
	syncDir(filepath.Dir(to))
	return nil
}

func readKeyFile(path string) (*MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("vault: master key file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("vault: master key file %s has mode %04o: group and others must have no access (run: chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: master key file %s: read: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("vault: master key file %s is larger than %d bytes: not a master key", path, maxKeyFileSize)
	}
	mk, err := parseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("vault: master key file %s %w", path, err)
	}
	return mk, nil
}

// createKeyFile writes a new key to a temporary file beside path and links it
// to path. It returns an error wrapping fs.ErrExist when path already exists.
func createKeyFile(path string) (mk *MasterKey, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	mk, encoded, err := generateMasterKey()
	if err != nil {
		return nil, err
	}
	// CreateTemp opens with O_EXCL and mode 0600.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		_ = f.Close()
		_ = os.Remove(tmp)
	}()
	if err := f.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	if _, err := f.WriteString(encoded + "\n"); err != nil {
		return nil, fmt.Errorf("vault: master key file %s: write: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("vault: master key file %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("vault: master key file %s: close: %w", path, err)
	}
	// link(2) publishes the complete file atomically and fails if path
	// exists: readers never see a partial key, and exactly one creator wins.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		// File systems without hard links: create path exclusively and
		// write it directly (exclusive, but a reader racing the write may
		// see it short and fail rather than read a wrong key).
		if err := writeExclusive(path, encoded); err != nil {
			return nil, err
		}
	}
	syncDir(dir)
	return mk, nil
}

func writeExclusive(path, encoded string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("vault: master key file: %w", err)
	}
	_, err = f.WriteString(encoded + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("vault: master key file %s: write: %w", path, err)
	}
	return nil
}

// syncDir makes the new directory entry durable; failure is not fatal (some
// platforms cannot sync directories) since the file itself was synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
