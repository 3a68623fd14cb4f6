// Package login implements `forge login` and `forge logout`: storing and
// forgetting the server URL and credential the server commands use.
package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// LoginOptions are the inputs of `forge login`.
type LoginOptions struct {
	IO              *iostreams.IOStreams
	Server          string
	Workspace       string
	CredentialStdin bool
}

// NewCmdLogin returns `forge login`; runF replaces the run in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(context.Context, *LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Store the credential for a Forge server",
		Long: `Check a credential against a Forge server and store the server URL, the
credential and its workspace in the user config directory
(forge/credentials.json, mode 0600) for the other server commands.

The credential is the operator's admin credential (adm_…, printed by forge
server init), a workspace API key (cwa_…) or a build token (atk_…). It is
read from a hidden prompt, or from standard input with --credential-stdin;
never from a flag, so that it stays out of shell history and process
listings.

The server tells login what the credential is (GET /v1/whoami): login
stores the workspace of an API key or a build token, and prints what it
stored. --workspace is optional; when given with an API key or a build
token it must name the credential's own workspace, else login fails
(exit 2) and stores nothing. With the admin credential, --workspace picks
the workspace that commands such as forge workspace show act on. A
credential the server refuses (unknown, revoked, expired) exits 4 and
stores nothing.

In CI, skip login and set FORGE_SERVER, FORGE_CREDENTIAL and
FORGE_WORKSPACE instead; they override the stored values.`,
		Example: `  # The operator, with the admin credential
  forge login --server https://forge.example.com

  # A host developer, with a workspace API key: the workspace comes from the server
  forge login --server https://forge.example.com

  # CI, with a workspace API key from a secret store
  echo "$FORGE_API_KEY" | forge login --server https://forge.example.com --credential-stdin

  # A script that must not store a credential of another workspace
  echo "$FORGE_API_KEY" | forge login --server https://forge.example.com \
      --workspace 3f2a… --credential-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Server == "" {
				return cmdutil.FlagErrorf("--server is required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunLogin(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Server, "server", "", "server URL, for example https://forge.example.com")
	cmd.Flags().StringVar(&opts.Workspace, "workspace", "", "workspace id: the credential's own (the default), checked; with the admin credential, the one to act on")
	cmd.Flags().BoolVar(&opts.CredentialStdin, "credential-stdin", false, "read the credential from standard input")
	return cmd
}

// RunLogin reads the credential, asks the server what it is, and stores
// it with its workspace.
func RunLogin(ctx context.Context, opts *LoginOptions) error {
	if !opts.CredentialStdin && !opts.IO.IsStdinTTY() {
		return cmdutil.FlagErrorf("standard input is not a terminal: pass the credential on standard input with --credential-stdin")
	}
	cred, err := remote.ReadSecret(opts.IO, "Credential (adm_…, cwa_… or atk_…): ", opts.CredentialStdin)
	if err != nil {
		return err
	}
	creds := remote.Credentials{Server: strings.TrimSuffix(opts.Server, "/"), Credential: strings.TrimSpace(cred)}
	conn, err := remote.New(creds)
	if err != nil {
		return err
	}
	me, err := conn.WhoAmI(ctx)
	if errors.Is(err, client.ErrNotFound) {
		return fmt.Errorf("%w\nhint: %s does not answer GET /v1/whoami; check the URL (a Forge server older than this forge lacks it: upgrade it)", err, creds.Server)
	}
	if err != nil {
		return remote.Explain(err)
	}
	creds.Workspace, err = workspaceOf(me, opts.Workspace)
	if err != nil {
		return err
	}
	var ws *client.Workspace
	if creds.Workspace != "" && canRead(me) {
		// The name, for the user to recognise; for the admin credential
		// also the proof that the workspace exists.
		if ws, err = conn.GetWorkspace(ctx, creds.Workspace); err != nil {
			return remote.Explain(err)
		}
	}
	path, err := remote.SaveCredentials(creds)
	if err != nil {
		return err
	}
	printLogin(opts.IO.ErrOut, creds, me, ws, time.Now())
	fmt.Fprintf(opts.IO.ErrOut, "Credentials stored in %s\n", path)
	return nil
}

// workspaceOf is the workspace to store: an API key's or a build token's
// own, which flag, when set, must name; the flag's for the admin
// credential.
func workspaceOf(me *client.Caller, flag string) (string, error) {
	if me.Kind == client.CredentialAdmin {
		return flag, nil
	}
	if me.Workspace == "" {
		return "", fmt.Errorf("the server did not say which workspace the %s belongs to", kindName(me.Kind))
	}
	if flag != "" && flag != me.Workspace {
		return "", cmdutil.FlagErrorf("--workspace %s does not match: the %s belongs to workspace %s (omit --workspace to use it)", flag, kindName(me.Kind), me.Workspace)
	}
	return me.Workspace, nil
}

// canRead reports whether the credential may read its workspace (a build
// token without the read permission may not).
func canRead(me *client.Caller) bool {
	return me.Kind != client.CredentialBuildToken || slices.Contains(me.Permissions, client.PermissionRead)
}

func kindName(k client.CredentialKind) string {
	switch k {
	case client.CredentialAdmin:
		return "admin credential"
	case client.CredentialAPIKey:
		return "API key"
	case client.CredentialBuildToken:
		return "build token"
	}
	return "credential"
}

// printLogin says what login stored.
func printLogin(w io.Writer, creds remote.Credentials, me *client.Caller, ws *client.Workspace, now time.Time) {
	if me.Kind == client.CredentialAdmin {
		fmt.Fprintf(w, "Logged in to %s as the operator (admin credential %s).\n", creds.Server, me.CredentialID)
	} else {
		fmt.Fprintf(w, "Logged in to %s (%s %s).\n", creds.Server, kindName(me.Kind), me.CredentialID)
	}
	if creds.Workspace != "" {
		name := ""
		if ws != nil {
			name = " (" + ws.Name + ")"
		}
		fmt.Fprintf(w, "  Workspace:    %s%s\n", creds.Workspace, name)
	}
	if me.Subject != "" {
		fmt.Fprintf(w, "  Subject:      %s\n", me.Subject)
	}
	if len(me.Permissions) > 0 {
		perms := make([]string, len(me.Permissions))
		for i, p := range me.Permissions {
			perms[i] = string(p)
		}
		fmt.Fprintf(w, "  Permissions:  %s\n", strings.Join(perms, ", "))
	}
	if me.ExpiresAt != nil {
		fmt.Fprintf(w, "  Expires:      %s (in %s)\n", me.ExpiresAt.Local().Format(time.RFC3339), me.ExpiresAt.Sub(now).Round(time.Second))
	}
}

// LogoutOptions are the inputs of `forge logout`.
type LogoutOptions struct {
	IO *iostreams.IOStreams
}

// NewCmdLogout returns `forge logout`; runF replaces the run in tests.
func NewCmdLogout(f *cmdutil.Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:     "logout",
		Short:   "Forget the stored server credential",
		Long:    "Delete the credentials forge login stored. The credential itself stays valid on the server: revoke it there (forge key revoke, forge token revoke) if it leaked.",
		Example: "  forge logout",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return RunLogout(opts)
		},
	}
}

// RunLogout deletes the stored credentials.
func RunLogout(opts *LogoutOptions) error {
	removed, err := remote.RemoveCredentials()
	if err != nil {
		return err
	}
	if removed {
		fmt.Fprintln(opts.IO.ErrOut, "Logged out.")
	} else {
		fmt.Fprintln(opts.IO.ErrOut, "Not logged in.")
	}
	return nil
}
