package login_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/login"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/cli/remote/remotetest"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/pkg/client"
)

// isolateHome points the user config directory into the test's temporary
// directory and clears the environment overrides.
func isolateHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AppData", filepath.Join(home, "AppData"))
	for _, k := range []string{remote.EnvServer, remote.EnvCredential, remote.EnvWorkspace} {
		t.Setenv(k, "")
	}
}

type result struct {
	out, errOut string
	err         error
}

// run runs forge login with stdin and args against test streams.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	cmd := login.NewCmdLogin(&cmdutil.Factory{IOStreams: ios}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(t.Context())
	return result{out: out.String(), errOut: errOut.String(), err: err}
}

func TestLoginFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *login.LoginOptions
	cmd := login.NewCmdLogin(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *login.LoginOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--server", "https://forge.example.com", "--credential-stdin"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Server != "https://forge.example.com" || got.Workspace != "" || !got.CredentialStdin {
		t.Fatalf("options %+v", got)
	}
	cmd = login.NewCmdLogin(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *login.LoginOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--server", "https://forge.example.com", "--workspace", "0123456789abcdef0123456789abcdef"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil || got.Workspace != "0123456789abcdef0123456789abcdef" || got.CredentialStdin {
		t.Fatalf("options %+v, %v", got, err)
	}
	cmd = login.NewCmdLogin(&cmdutil.Factory{IOStreams: ios}, func(context.Context, *login.LoginOptions) error { t.Fatal("ran without --server"); return nil })
	cmd.SetArgs([]string{"--credential-stdin"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--server") {
		t.Fatalf("without --server: %v", err)
	}
}

// stored returns the stored credentials file, nil when there is none.
func stored(t *testing.T) []byte {
	t.Helper()
	path, err := remote.CredentialsPath()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storedCredentials(t *testing.T) remote.Credentials {
	t.Helper()
	b := stored(t)
	if b == nil {
		t.Fatal("no credentials stored")
	}
	var c remote.Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLogin logs in against a real server with every kind of credential:
// the workspace comes from the server, a --workspace of another workspace
// is a usage error, a refused credential an auth error, and a failed login
// stores nothing (and leaves a previous login as it was).
func TestLogin(t *testing.T) {
	isolateHome(t)
	srv := remotetest.Start(t)
	ctx := context.WithoutCancel(t.Context())
	admin, err := client.New(srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	acme, err := admin.CreateWorkspace(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	globex, err := admin.CreateWorkspace(ctx, "globex")
	if err != nil {
		t.Fatal(err)
	}
	ws := acme.Workspace.ID
	key, err := client.New(srv.URL, acme.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := key.ListAPIKeys(ctx, ws)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v, %v", keys, err)
	}
	const subject = "cus_42"
	if _, err := key.CreateSubject(ctx, ws, client.CreateSubjectRequest{ID: subject}); err != nil {
		t.Fatal(err)
	}
	buildOnly, err := key.CreateBuildToken(ctx, ws, client.CreateBuildTokenRequest{Subject: subject, Permissions: []client.Permission{client.PermissionBuild}, TTL: "30m"})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := key.CreateAPIKey(ctx, ws, "revoked")
	if err != nil {
		t.Fatal(err)
	}
	if err := key.RevokeAPIKey(ctx, ws, revoked.Key.ID); err != nil {
		t.Fatal(err)
	}
	expired, hash, err := auth.New(auth.KindBuildToken)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := srv.Store.CreateBuildToken(ctx, &store.BuildToken{
		WorkspaceID: ws, SubjectID: subject, Permissions: []store.Permission{store.PermRead},
		Hash: hash, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute),
	}); err != nil {
		t.Fatal(err)
	}
	unknown, _, err := auth.New(auth.KindAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	stdin := func(cred string) string { return cred + "\n" }
	loginArgs := func(more ...string) []string {
		return append([]string{"--server", srv.URL, "--credential-stdin"}, more...)
	}

	// refused runs the logins that must fail, and checks that the stored
	// credentials stay as they were (none, the first time).
	refused := func(t *testing.T) {
		t.Helper()
		before := stored(t)
		for _, tc := range []struct {
			name, cred string
			args       []string
			exit       int
			says       string
		}{
			{"unknown API key", unknown, nil, cmdutil.ExitAuth, "forge login"},
			{"malformed credential", "cwa_nope", nil, cmdutil.ExitAuth, "malformed"},
			{"revoked API key", revoked.APIKey, nil, cmdutil.ExitAuth, "revoked"},
			{"expired build token", expired, nil, cmdutil.ExitAuth, "expired"},
			{"signing secret", acme.SigningSecret, nil, cmdutil.ExitAuth, "signing secret"},
			{"unknown API key with --workspace", unknown, []string{"--workspace", ws}, cmdutil.ExitAuth, "forge login"},
			{"API key of another workspace", acme.APIKey, []string{"--workspace", globex.Workspace.ID}, cmdutil.ExitUsage, "belongs to workspace " + ws},
			{"build token of another workspace", buildOnly.BuildToken, []string{"--workspace", globex.Workspace.ID}, cmdutil.ExitUsage, "belongs to workspace " + ws},
			{"admin with a missing workspace", srv.Admin, []string{"--workspace", strings.Repeat("0", 32)}, cmdutil.ExitFailure, "404"},
		} {
			r := run(t, stdin(tc.cred), loginArgs(tc.args...)...)
			if got := cmdutil.ExitCode(r.err); got != tc.exit || !strings.Contains(r.err.Error(), tc.says) {
				t.Errorf("%s: exit %d (%v), want %d saying %q", tc.name, got, r.err, tc.exit, tc.says)
			}
			if strings.Contains(r.errOut, "Logged in") {
				t.Errorf("%s: says it logged in:\n%s", tc.name, r.errOut)
			}
			if after := stored(t); !bytes.Equal(after, before) {
				t.Fatalf("%s: the stored credentials changed:\n%s", tc.name, after)
			}
		}
		// A URL that is not a Forge server's API (or an older server).
		r := run(t, stdin(acme.APIKey), "--server", srv.URL+"/not-forge", "--credential-stdin")
		if r.err == nil || !strings.Contains(r.err.Error(), "/v1/whoami") {
			t.Errorf("login to a URL without /v1/whoami: %v", r.err)
		}
		if after := stored(t); !bytes.Equal(after, before) {
			t.Fatalf("a failed login changed the stored credentials:\n%s", after)
		}
	}

	t.Run("refused before any login", func(t *testing.T) {
		refused(t)
		if b := stored(t); b != nil {
			t.Fatalf("refused logins stored credentials:\n%s", b)
		}
	})

	t.Run("API key without --workspace", func(t *testing.T) {
		r := run(t, stdin(acme.APIKey), loginArgs()...)
		if r.err != nil {
			t.Fatalf("%v\n%s", r.err, r.errOut)
		}
		want := remote.Credentials{Server: srv.URL, Credential: acme.APIKey, Workspace: ws}
		if got := storedCredentials(t); !reflect.DeepEqual(got, want) {
			t.Fatalf("stored %+v, want %+v", got, want)
		}
		for _, s := range []string{srv.URL, "API key " + keys[0].ID, "Workspace:    " + ws + " (acme)", "build, manage, read"} {
			if !strings.Contains(r.errOut, s) {
				t.Errorf("output lacks %q:\n%s", s, r.errOut)
			}
		}
		if strings.Contains(r.out+r.errOut, acme.APIKey) {
			t.Fatal("login printed the credential")
		}
	})

	t.Run("refused after a login", refused)

	t.Run("API key with its own --workspace", func(t *testing.T) {
		if r := run(t, stdin(acme.APIKey), loginArgs("--workspace", ws)...); r.err != nil {
			t.Fatalf("%v\n%s", r.err, r.errOut)
		}
		if got := storedCredentials(t); got.Workspace != ws || got.Credential != acme.APIKey {
			t.Fatalf("stored %+v", got)
		}
	})

	t.Run("build token without --workspace", func(t *testing.T) {
		r := run(t, stdin(buildOnly.BuildToken), loginArgs()...)
		if r.err != nil {
			t.Fatalf("%v\n%s", r.err, r.errOut)
		}
		want := remote.Credentials{Server: srv.URL, Credential: buildOnly.BuildToken, Workspace: ws}
		if got := storedCredentials(t); !reflect.DeepEqual(got, want) {
			t.Fatalf("stored %+v, want %+v", got, want)
		}
		expires := buildOnly.Token.ExpiresAt.Local().Format(time.RFC3339)
		for _, s := range []string{"build token " + buildOnly.Token.ID, "Workspace:    " + ws + "\n", "Subject:      " + subject, "Permissions:  build\n", "Expires:      " + expires} {
			if !strings.Contains(r.errOut, s) {
				t.Errorf("output lacks %q:\n%s", s, r.errOut)
			}
		}
	})

	t.Run("admin", func(t *testing.T) {
		r := run(t, stdin(srv.Admin), loginArgs()...)
		if r.err != nil {
			t.Fatalf("%v\n%s", r.err, r.errOut)
		}
		if got := storedCredentials(t); got != (remote.Credentials{Server: srv.URL, Credential: srv.Admin}) {
			t.Fatalf("stored %+v", got)
		}
		if !strings.Contains(r.errOut, "as the operator") || strings.Contains(r.errOut, "Workspace:") {
			t.Fatalf("output:\n%s", r.errOut)
		}
		r = run(t, stdin(srv.Admin), loginArgs("--workspace", globex.Workspace.ID)...)
		if r.err != nil {
			t.Fatalf("%v\n%s", r.err, r.errOut)
		}
		if got := storedCredentials(t); got.Workspace != globex.Workspace.ID {
			t.Fatalf("stored %+v", got)
		}
		if !strings.Contains(r.errOut, globex.Workspace.ID+" (globex)") {
			t.Fatalf("output:\n%s", r.errOut)
		}
	})
}
