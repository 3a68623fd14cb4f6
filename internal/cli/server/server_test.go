package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/iostreams"
	apiserver "github.com/forgehq/forge/internal/server"
	"github.com/forgehq/forge/internal/vault"
)

func TestServerFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdServer(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--addr", "127.0.0.1:9999", "--data-dir", "/d", "--database", "postgres://x/y", "--tls-cert", "c", "--tls-key", "k", "--master-key-file", "m"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:9999" || got.DataDir != "/d" || got.Database != "postgres://x/y" || got.TLSCert != "c" || got.TLSKey != "k" || got.MasterKeyFile != "m" {
		t.Fatalf("options = %+v", got)
	}
	cmd = NewCmdServer(&cmdutil.Factory{IOStreams: ios}, func(context.Context, *Options) error { return nil })
	cmd.SetArgs([]string{"--tls-cert", "c"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	var fe *cmdutil.FlagError
	if err := cmd.Execute(); !errors.As(err, &fe) {
		t.Fatalf("--tls-cert alone: %v", err)
	}
	cmd = NewCmdServer(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil || got.Addr != DefaultAddr {
		t.Fatalf("default addr = %q, %v", got.Addr, err)
	}
}

func TestInitFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *InitOptions
	cmd := NewCmdInit(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *InitOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--reset-admin", "--data-dir", "/d"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.ResetAdmin || got.DataDir != "/d" {
		t.Fatalf("options = %+v", got)
	}
}

var adminRE = regexp.MustCompile(`adm_[a-z2-7]{52}`)

// TestRun starts the server on a loopback listener with a fresh data
// directory, checks the first-start credential, the generated master key
// and the API, then shuts it down with the context.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, stderr := iostreams.Test()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrc := make(chan string, 1)
	var admin string
	opts := &Options{
		IO: ios, Addr: "127.0.0.1:0", DataDir: dir,
		Getenv: func(string) string { return "" },
		Ready: func(a net.Addr) {
			admin = adminRE.FindString(stderr.String())
			addrc <- a.String()
		},
	}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	if admin == "" {
		t.Fatal("no admin credential printed on first start")
	}
	st, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, %v", st, err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		get(t, "http://"+addr+path, "", http.StatusOK)
	}
	get(t, "http://"+addr+"/v1/workspaces", admin, http.StatusOK)
	get(t, "http://"+addr+"/v1/workspaces", "", http.StatusUnauthorized)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"server stopped"`) {
		t.Fatalf("no clean shutdown in the log:\n%s", logs)
	}
	if strings.Count(logs, admin) != 1 {
		t.Fatal("the admin credential appears in the log")
	}

	// A second start prints no credential; init refuses, --reset-admin replaces it.
	ios2, _, _, stderr2 := iostreams.Test()
	init := &InitOptions{Options: Options{IO: ios2, DataDir: dir, Getenv: func(string) string { return "" }}}
	var ie *cmdutil.InputError
	if err := RunInit(t.Context(), init); !errors.As(err, &ie) {
		t.Fatalf("second init: %v", err)
	}
	init.ResetAdmin = true
	if err := RunInit(t.Context(), init); err != nil {
		t.Fatal(err)
	}
	if fresh := adminRE.FindString(stderr2.String()); fresh == "" || fresh == admin {
		t.Fatalf("reset printed %q", fresh)
	}
}

func get(t *testing.T, url, cred string, want int) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", url, res.StatusCode, want, b)
	}
}

// TestMissingMasterKeyFile: once the database holds data keys, neither
// `forge server` nor `forge server init` creates a new master key file in
// place of a missing one; both fail naming the key the database needs, and
// init refuses a key file that holds another key.
func TestMissingMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	createWorkspace(t, dir, noEnv)
	keyFile := filepath.Join(dir, "master.key")
	mk, err := vault.ReadMasterKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(keyFile, keyFile+".away"); err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		var ie *cmdutil.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), mk.ID) {
			t.Fatalf("%s without the key file: %v, want an input error naming master key %s", what, err, mk.ID)
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s created a master key file: %v", what, err)
		}
	}
	_, _, _, err = serve(t, &Options{DataDir: dir, Getenv: noEnv})
	check("forge server", err)
	ios, _, _, _ := iostreams.Test()
	init := &InitOptions{Options: Options{IO: ios, DataDir: dir, Getenv: noEnv}, ResetAdmin: true}
	check("forge server init", RunInit(t.Context(), init))

	// Another key is refused by init as by the server.
	if _, err := vault.CreateMasterKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	if err := RunInit(t.Context(), init); !errors.Is(err, apiserver.ErrMasterKeyMismatch) {
		t.Fatalf("init with another master key: %v", err)
	}
}
