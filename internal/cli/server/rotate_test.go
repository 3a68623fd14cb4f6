package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/iostreams"
	apiserver "github.com/forgehq/forge/internal/server"
	"github.com/forgehq/forge/internal/store/sqlite"
	"github.com/forgehq/forge/internal/vault"
	"github.com/forgehq/forge/pkg/client"
)

// serve runs the server on a loopback port with opts until the returned
// stop is called. When Run fails before it listens, serve returns its
// error (and a nil stop).
func serve(t *testing.T, opts *Options) (url, admin string, stop func(), err error) {
	t.Helper()
	ios, _, _, stderr := iostreams.Test()
	opts.IO, opts.Addr = ios, "127.0.0.1:0"
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan string, 1)
	opts.Ready = func(a net.Addr) { addrc <- a.String() }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	select {
	case addr := <-addrc:
		stop = func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
		return "http://" + addr, adminRE.FindString(stderr.String()), stop, nil
	case err := <-done:
		cancel()
		return "", "", nil, err
	}
}

// createWorkspace starts a server on dir, creates a workspace through the
// API (which creates its data key and signing secret) and stops it.
func createWorkspace(t *testing.T, dir string, getenv func(string) string) *client.CreatedWorkspace {
	t.Helper()
	url, admin, stop, err := serve(t, &Options{DataDir: dir, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c, err := client.New(url, admin)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateWorkspace(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// signingSecret opens the workspace's stored signing secret with mk, as a
// server holding mk would.
func signingSecret(t *testing.T, dir, ws string, mk *vault.MasterKey) (string, error) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "forge.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secs, err := st.SigningSecrets(t.Context(), ws, time.Now())
	if err != nil || len(secs) == 0 {
		t.Fatalf("signing secrets: %v, %v", secs, err)
	}
	k, err := st.GetDataKey(t.Context(), ws, secs[0].KeyID)
	if err != nil {
		t.Fatal(err)
	}
	dk, err := vault.UnwrapDataKey(mk, k.Wrapped)
	if err != nil {
		return "", err
	}
	plain, err := dk.Open(secs[0].Nonce, secs[0].Ciphertext, vault.SigningSecretAAD(ws))
	return string(plain), err
}

// TestRotateMasterKeyCommand: a workspace created by a running server keeps
// its signing secret through a rotation of the key file; the server starts
// again with the new key, and refuses to start with the old one.
func TestRotateMasterKeyCommand(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	created := createWorkspace(t, dir, noEnv)
	keyFile := filepath.Join(dir, "master.key")
	oldKey, err := vault.ReadMasterKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	oldText, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	ios, _, stdout, _ := iostreams.Test()
	opts := &RotateOptions{Options: Options{IO: ios, DataDir: dir, Getenv: noEnv}, Output: cmdutil.FormatJSON}
	if err := RunRotateMasterKey(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	var out struct {
		apiserver.Rotation
		KeyFile string `json:"keyFile"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	newKey, err := vault.ReadMasterKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if newKey.ID == oldKey.ID || out.From != oldKey.ID || out.To != newKey.ID || out.DataKeys != 1 || out.Workspaces != 1 || out.KeyFile != keyFile {
		t.Fatalf("rotation %+v; key %s -> %s", out, oldKey.ID, newKey.ID)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v, %v", fi, err)
	}
	if _, err := os.Stat(keyFile + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the pending key file is left behind: %v", err)
	}
	if got, err := signingSecret(t, dir, created.Workspace.ID, newKey); err != nil || got != created.SigningSecret {
		t.Fatalf("signing secret with the new key = %v (equal: %v)", err, got == created.SigningSecret)
	}
	if _, err := signingSecret(t, dir, created.Workspace.ID, oldKey); !errors.Is(err, vault.ErrDecrypt) {
		t.Fatalf("the old key still opens the data key: %v", err)
	}

	// The server starts with the new key file, and not with the old key.
	_, _, stop, err := serve(t, &Options{DataDir: dir, Getenv: noEnv})
	if err != nil {
		t.Fatalf("start with the new key: %v", err)
	}
	stop()
	oldEnv := func(k string) string {
		if k == vault.MasterKeyEnv {
			return strings.TrimSpace(string(oldText))
		}
		return ""
	}
	if _, _, _, err := serve(t, &Options{DataDir: dir, Getenv: oldEnv}); !errors.Is(err, apiserver.ErrMasterKeyMismatch) {
		t.Fatalf("start with the rotated-away key: %v", err)
	}
}

// TestRotateMasterKeyResume: a rotation interrupted after the database
// changed, before the key file was replaced, completes when run again.
func TestRotateMasterKeyResume(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	created := createWorkspace(t, dir, noEnv)
	keyFile := filepath.Join(dir, "master.key")
	oldKey, err := vault.ReadMasterKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	// The interrupted run: the new key file written, the data keys
	// re-wrapped, the key file not yet replaced.
	pending, err := vault.CreateMasterKeyFile(keyFile + ".new")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "forge.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apiserver.RotateMasterKey(t.Context(), st, oldKey, pending, time.Now()); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	ios, _, stdout, _ := iostreams.Test()
	if err := RunRotateMasterKey(t.Context(), &RotateOptions{Options: Options{IO: ios, DataDir: dir, Getenv: noEnv}, Output: cmdutil.FormatText}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "Re-wrapped 0 data keys") || !strings.Contains(stdout.String(), "1 data keys were already wrapped") {
		t.Fatalf("output:\n%s", stdout)
	}
	now, err := vault.ReadMasterKeyFile(keyFile)
	if err != nil || now.ID != pending.ID {
		t.Fatalf("key file holds %v, %v; want the pending key %s", now, err, pending.ID)
	}
	if got, err := signingSecret(t, dir, created.Workspace.ID, now); err != nil || got != created.SigningSecret {
		t.Fatalf("signing secret after the resumed rotation: %v", err)
	}
}

// TestRotateMasterKeyFromEnv: with FORGE_MASTER_KEY the new key goes to
// --new-master-key-file (required), and no key file is touched.
func TestRotateMasterKeyFromEnv(t *testing.T) {
	dir := t.TempDir()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i + 1)
	}
	env := base64.StdEncoding.EncodeToString(raw)
	getenv := func(k string) string {
		if k == vault.MasterKeyEnv {
			return env
		}
		return ""
	}
	created := createWorkspace(t, dir, getenv)

	ios, _, stdout, _ := iostreams.Test()
	opts := &RotateOptions{Options: Options{IO: ios, DataDir: dir, Getenv: getenv}, Output: cmdutil.FormatText}
	var fe *cmdutil.FlagError
	if err := RunRotateMasterKey(t.Context(), opts); !errors.As(err, &fe) {
		t.Fatalf("without --new-master-key-file: %v", err)
	}
	opts.NewKeyFile = filepath.Join(t.TempDir(), "next.key")
	if err := RunRotateMasterKey(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	next, err := vault.ReadMasterKeyFile(opts.NewKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), opts.NewKeyFile) || !strings.Contains(stdout.String(), "FORGE_MASTER_KEY") {
		t.Fatalf("output:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file appeared in the data directory: %v", err)
	}
	if got, err := signingSecret(t, dir, created.Workspace.ID, next); err != nil || got != created.SigningSecret {
		t.Fatalf("signing secret with the new key: %v", err)
	}
}

// TestRotateMasterKeyNoKey: no key file and no FORGE_MASTER_KEY is bad
// input (exit 2), and nothing is created.
func TestRotateMasterKeyNoKey(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, _ := iostreams.Test()
	err := RunRotateMasterKey(t.Context(), &RotateOptions{Options: Options{IO: ios, DataDir: dir, Getenv: func(string) string { return "" }}, Output: cmdutil.FormatText})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "master.key") {
		t.Fatalf("err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("the data directory holds %d entries", len(entries))
	}
}
