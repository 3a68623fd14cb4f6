package remote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forgehq/forge/internal/cli/audit"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/ext"
	"github.com/forgehq/forge/internal/cli/key"
	"github.com/forgehq/forge/internal/cli/login"
	"github.com/forgehq/forge/internal/cli/registry"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/cli/remote/remotetest"
	"github.com/forgehq/forge/internal/cli/secret"
	"github.com/forgehq/forge/internal/cli/token"
	"github.com/forgehq/forge/internal/cli/workspace"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/store/sqlite"
	"github.com/forgehq/forge/pkg/client"
)

// cli runs commands the way forge does, against test streams.
type cli struct {
	t  *testing.T
	wd string
}

type result struct {
	out, errOut string
	err         error
}

func (c *cli) run(stdin string, build func(*cmdutil.Factory) *cobra.Command, args ...string) result {
	c.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := &cmdutil.Factory{IOStreams: ios, WorkDir: c.wd}
	f.Config = func(flags *pflag.FlagSet) (*config.Config, error) { return config.Load(c.wd, "", flags) }
	cmd := build(f)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(c.t.Context())
	return result{out: out.String(), errOut: errOut.String(), err: err}
}

func (c *cli) ok(stdin string, build func(*cmdutil.Factory) *cobra.Command, args ...string) result {
	c.t.Helper()
	r := c.run(stdin, build, args...)
	if r.err != nil {
		c.t.Fatalf("%v: %v\nstderr: %s", args, r.err, r.errOut)
	}
	return r
}

func isolateHome(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AppData", filepath.Join(home, "AppData"))
	for _, k := range []string{remote.EnvServer, remote.EnvCredential, remote.EnvWorkspace} {
		t.Setenv(k, "")
	}
	return home
}

// TestWorkflow drives the server through the commands: login, workspace,
// key, token, registry push, ext push/approve/…, secrets, audit.
func TestWorkflow(t *testing.T) {
	isolateHome(t)
	srv := remotetest.Start(t)
	wd := t.TempDir()
	remotetest.WriteRegistry(t, filepath.Join(wd, "registry"))
	c := &cli{t: t, wd: wd}
	loginCmd := func(f *cmdutil.Factory) *cobra.Command { return login.NewCmdLogin(f, nil) }

	// Not logged in yet.
	r := c.run("", workspace.NewCmdWorkspace, "list")
	if !errors.Is(r.err, remote.ErrNotLoggedIn) {
		t.Fatalf("before login: %v", r.err)
	}
	// Without --credential-stdin and no terminal, login refuses (exit 2).
	r = c.run(srv.Admin, loginCmd, "--server", srv.URL)
	if cmdutil.ExitCode(r.err) != cmdutil.ExitUsage {
		t.Fatalf("login without a terminal: %v", r.err)
	}
	// A wrong credential is refused with a hint, and nothing is stored.
	r = c.run("adm_"+strings.Repeat("x", 40)+"\n", loginCmd, "--server", srv.URL, "--credential-stdin")
	if r.err == nil || !strings.Contains(r.err.Error(), "forge login") || cmdutil.ExitCode(r.err) != cmdutil.ExitAuth {
		t.Fatalf("login with a wrong credential: %v", r.err)
	}
	path, err := remote.CredentialsPath()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused login stored credentials: %v", err)
	}

	// The operator logs in and creates a workspace.
	c.ok(srv.Admin+"\n", loginCmd, "--server", srv.URL, "--credential-stdin")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	wsCmd := workspace.NewCmdWorkspace
	r = c.ok("", wsCmd, "create", "acme", "-o", "json")
	var created client.CreatedWorkspace
	if err := json.Unmarshal([]byte(r.out), &created); err != nil || !strings.HasPrefix(created.APIKey, "cwa_") {
		t.Fatalf("workspace create -o json: %v\n%s", err, r.out)
	}
	if !strings.Contains(r.errOut, "shown only now") {
		t.Fatalf("no warning to store the secrets: %s", r.errOut)
	}
	ws := created.Workspace.ID
	if r = c.ok("", wsCmd, "list"); !strings.Contains(r.out, ws) {
		t.Fatalf("workspace list: %s", r.out)
	}

	// The host developer logs in with the API key; the server tells its
	// workspace.
	c.ok(created.APIKey, loginCmd, "--server", srv.URL, "--credential-stdin")
	if r = c.ok("", wsCmd, "show"); !strings.Contains(r.out, "acme") {
		t.Fatalf("workspace show: %s", r.out)
	}
	r = c.run("", wsCmd, "list")
	if r.err == nil || !strings.Contains(r.err.Error(), "hint:") {
		t.Fatalf("workspace list with an API key: %v", r.err)
	}
	keyCmd := key.NewCmdKey
	r = c.ok("", keyCmd, "create", "ci", "-o", "json")
	var newKey client.CreatedAPIKey
	if err := json.Unmarshal([]byte(r.out), &newKey); err != nil {
		t.Fatal(err)
	}
	if r = c.ok("", keyCmd, "list"); !strings.Contains(r.out, newKey.Key.ID) {
		t.Fatalf("key list: %s", r.out)
	}
	c.ok("", workspace.NewCmdWorkspace, "rotate-signing-secret")

	// Set up what the server needs to accept the extension: the registry,
	// the event types and the subject (no CLI verb for the last two yet).
	if r = c.ok("", registry.NewCmdRegistry, "push"); !strings.Contains(r.out, "1 capabilities") {
		t.Fatalf("registry push: %s", r.out)
	}
	kc, err := client.New(srv.URL, created.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithoutCancel(t.Context())
	if _, err := kc.SetEventTypes(ctx, ws, []client.EventType{{Name: remotetest.EventType}}); err != nil {
		t.Fatal(err)
	}
	const subject = "cus_42"
	if _, err := kc.CreateSubject(ctx, ws, client.CreateSubjectRequest{ID: subject}); err != nil {
		t.Fatal(err)
	}

	tokCmd := token.NewCmdToken
	r = c.ok("", tokCmd, "mint", "--subject", subject, "--permissions", "build,read,manage", "--ttl", "30m")
	buildToken := strings.TrimSpace(r.out)
	if !strings.HasPrefix(buildToken, "atk_") {
		t.Fatalf("token mint: %q", r.out)
	}
	if r = c.ok("", tokCmd, "list", "--subject", subject, "-o", "json"); !strings.Contains(r.out, `"subject": "cus_42"`) {
		t.Fatalf("token list: %s", r.out)
	}

	extCmd := func(f *cmdutil.Factory) *cobra.Command {
		cmd := &cobra.Command{Use: "ext"}
		ext.AddRemoteCommands(cmd, f)
		return cmd
	}
	dist := t.TempDir()
	good := remotetest.WriteBundle(t, dist, "invoice-digest", "1.0.0", "")
	r = c.ok("", extCmd, "push", good, "--subject", subject)
	if !strings.Contains(r.out, "version 1") || !strings.Contains(r.out, "pending_approval") {
		t.Fatalf("ext push: %s", r.out)
	}
	bad := remotetest.WriteBundle(t, dist, "invoice-digest", "1.0.1",
		remotetest.Manifest("invoice-digest", "1.0.1")+"  - id: billing.deleteEverything\n    digest: sha256:00\n")
	r = c.run("", extCmd, "push", bad, "--subject", subject)
	if r.err == nil || !strings.Contains(r.errOut, "extension.yaml") || !strings.Contains(r.errOut, "billing.deleteEverything") {
		t.Fatalf("ext push of an invalid bundle: %v\nstderr: %s", r.err, r.errOut)
	}
	if r = c.ok("", extCmd, "show", "invoice-digest", "--subject", subject, "--version", "1"); !strings.Contains(r.out, "Manifest:") {
		t.Fatalf("ext show --version: %s", r.out)
	}
	if r = c.ok("", extCmd, "approve", "invoice-digest", "1", "--subject", subject); !strings.Contains(r.out, "active") {
		t.Fatalf("ext approve: %s", r.out)
	}
	c.ok("", extCmd, "push", remotetest.WriteBundle(t, dist, "invoice-digest", "1.1.0", ""), "--subject", subject)
	c.ok("", extCmd, "reject", "invoice-digest", "2", "--subject", subject, "--reason", "wrong channel")
	c.ok("", extCmd, "push", remotetest.WriteBundle(t, dist, "invoice-digest", "1.2.0", ""), "--subject", subject)
	c.ok("", extCmd, "approve", "invoice-digest", "3", "--subject", subject)
	c.ok("", extCmd, "disable", "invoice-digest", "--subject", subject)
	c.ok("", extCmd, "enable", "invoice-digest", "--subject", subject)
	if r = c.ok("", extCmd, "rollback", "invoice-digest", "1", "--subject", subject); !strings.Contains(r.out, "version 1") {
		t.Fatalf("ext rollback: %s", r.out)
	}
	r = c.ok("", extCmd, "history", "invoice-digest", "--subject", subject)
	for _, want := range []string{"rejected", "wrong channel", "superseded"} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("ext history lacks %q:\n%s", want, r.out)
		}
	}
	r = c.ok("", extCmd, "list", "--subject", subject, "-o", "json")
	var listed struct{ Extensions []client.Extension }
	if err := json.Unmarshal([]byte(r.out), &listed); err != nil || len(listed.Extensions) != 1 || listed.Extensions[0].CurrentVersion != 1 {
		t.Fatalf("ext list -o json: %v\n%s", err, r.out)
	}
	if r = c.ok("", extCmd, "show", "invoice-digest", "--subject", subject); !strings.Contains(r.out, "Current:  1 (active)") {
		t.Fatalf("ext show: %s", r.out)
	}

	// Secrets: the value comes from stdin and never appears in any output.
	const value = "xoxb-super-secret-value"
	secCmd := secret.NewCmdSecret
	r = c.ok(value+"\n", secCmd, "set", "invoice-digest", "SLACK_TOKEN", "--subject", subject)
	all := r.out + r.errOut
	r = c.ok("", secCmd, "list", "invoice-digest", "--subject", subject)
	all += r.out + r.errOut
	if !strings.Contains(r.out, "SLACK_TOKEN") {
		t.Fatalf("secret list: %s", r.out)
	}
	r = c.ok("", audit.NewCmdAudit, "list", "-o", "json", "--limit", "1000")
	all += r.out + r.errOut
	if strings.Contains(all, value) {
		t.Fatal("the secret value appears in the output")
	}
	c.ok("", secCmd, "rm", "invoice-digest", "SLACK_TOKEN", "--subject", subject)
	if r = c.ok("", secCmd, "list", "invoice-digest", "--subject", subject, "-o", "json"); !strings.Contains(r.out, `"secrets": []`) {
		t.Fatalf("secret list after rm: %s", r.out)
	}

	// Audit: the chain verifies.
	auditCmd := audit.NewCmdAudit
	if r = c.ok("", auditCmd, "verify"); !strings.Contains(r.out, "verifies") {
		t.Fatalf("audit verify: %s", r.out)
	}
	if r = c.ok("", auditCmd, "list", "--limit", "2"); !strings.Contains(r.errOut, "--after 2") {
		t.Fatalf("audit list paging hint: %s", r.errOut)
	}

	// Environment overrides win over the stored credentials (CI).
	t.Setenv(remote.EnvCredential, buildToken)
	if r = c.ok("", extCmd, "list", "--subject", subject); !strings.Contains(r.out, "invoice-digest") {
		t.Fatalf("ext list with FORGE_CREDENTIAL: %s", r.out)
	}
	if r = c.run("", tokCmd, "list"); !errors.Is(r.err, client.ErrForbidden) {
		t.Fatalf("token list with a build token: %v, want ErrForbidden", r.err)
	}
	t.Setenv(remote.EnvCredential, "")

	// Revoking the token takes effect at once.
	var toks struct{ Tokens []client.BuildToken }
	r = c.ok("", tokCmd, "list", "-o", "json")
	if err := json.Unmarshal([]byte(r.out), &toks); err != nil || len(toks.Tokens) != 1 {
		t.Fatalf("token list: %v %s", err, r.out)
	}
	c.ok("", tokCmd, "revoke", toks.Tokens[0].ID)
	t.Setenv(remote.EnvCredential, buildToken)
	r = c.run("", extCmd, "list", "--subject", subject)
	if !errors.Is(r.err, client.ErrUnauthorized) || !strings.Contains(r.err.Error(), "forge login") || cmdutil.ExitCode(r.err) != cmdutil.ExitAuth {
		t.Fatalf("revoked token: %v (exit %d)", r.err, cmdutil.ExitCode(r.err))
	}
	t.Setenv(remote.EnvCredential, "")

	c.ok("", keyCmd, "revoke", newKey.Key.ID)
	c.ok("", func(f *cmdutil.Factory) *cobra.Command { return login.NewCmdLogout(f, nil) })
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("logout left the credentials: %v", err)
	}
}

// TestAuditVerifyBroken tampers with a record in the database: verify
// exits 1 and names the record.
func TestAuditVerifyBroken(t *testing.T) {
	isolateHome(t)
	srv := remotetest.Start(t)
	ctx := context.WithoutCancel(t.Context())
	admin, err := client.New(srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	created, err := admin.CreateWorkspace(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	kc, err := client.New(srv.URL, created.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := kc.CreateSubject(ctx, created.Workspace.ID, client.CreateSubjectRequest{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	tamper(t, srv, created.Workspace.ID)
	t.Setenv(remote.EnvServer, srv.URL)
	t.Setenv(remote.EnvCredential, created.APIKey)
	t.Setenv(remote.EnvWorkspace, created.Workspace.ID)
	c := &cli{t: t, wd: t.TempDir()}
	r := c.run("", audit.NewCmdAudit, "verify")
	var be *audit.BrokenError
	if !errors.As(r.err, &be) || cmdutil.ExitCode(r.err) != cmdutil.ExitFailure || !strings.Contains(r.err.Error(), "record 2") {
		t.Fatalf("verify of a tampered chain: %v", r.err)
	}
}

// tamper edits audit record 2 of ws behind the server's back.
func tamper(t *testing.T, srv *remotetest.Server, ws string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	st, ok := srv.Store.(*sqlite.Store)
	if !ok {
		t.Fatalf("store %T", srv.Store)
	}
	tx, err := st.DB().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `DROP TRIGGER audit_records_no_update`); err != nil {
		t.Fatal(err)
	}
	if n, err := tx.Exec(ctx, `UPDATE audit_records SET action = 'subject.nothing-to-see' WHERE workspace_id = ? AND seq = 2`, ws); err != nil || n != 1 {
		t.Fatalf("update: %d, %v", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
