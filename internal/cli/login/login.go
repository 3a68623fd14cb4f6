// Package login implements `forge login` and `forge logout`: storing and
// forgetting the server URL and credential the server commands use.
package login

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
credential and the workspace in the user config directory
(forge/credentials.json, mode 0600) for the other server commands.

The credential is the operator's admin credential (adm_…, printed by forge
server init), a workspace API key (cwa_…) or a build token (atk_…). It is
read from a hidden prompt, or from standard input with --credential-stdin;
never from a flag, so that it stays out of shell history and process
listings. An API key or a build token needs --workspace.

In CI, skip login and set FORGE_SERVER, FORGE_CREDENTIAL and
FORGE_WORKSPACE instead; they override the stored values.`,
		Example: `  # The operator, with the admin credential
  forge login --server https://forge.example.com

  # CI, with a workspace API key from a secret store
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
	cmd.Flags().StringVar(&opts.Workspace, "workspace", "", "workspace id (required for an API key or a build token)")
	cmd.Flags().BoolVar(&opts.CredentialStdin, "credential-stdin", false, "read the credential from standard input")
	return cmd
}

// RunLogin reads the credential, checks it and stores it.
func RunLogin(ctx context.Context, opts *LoginOptions) error {
	if !opts.CredentialStdin && !opts.IO.IsStdinTTY() {
		return cmdutil.FlagErrorf("standard input is not a terminal: pass the credential on standard input with --credential-stdin")
	}
	cred, err := remote.ReadSecret(opts.IO, "Credential (adm_…, cwa_… or atk_…): ", opts.CredentialStdin)
	if err != nil {
		return err
	}
	cred = strings.TrimSpace(cred)
	admin := strings.HasPrefix(cred, "adm_")
	if !admin && opts.Workspace == "" {
		return cmdutil.FlagErrorf("--workspace is required with an API key or a build token")
	}
	creds := remote.Credentials{Server: strings.TrimSuffix(opts.Server, "/"), Credential: cred, Workspace: opts.Workspace}
	conn, err := remote.New(creds)
	if err != nil {
		return err
	}
	what, err := check(ctx, conn, admin, opts.Workspace)
	if err != nil {
		return remote.Explain(err)
	}
	path, err := remote.SaveCredentials(creds)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Logged in to %s%s.\nCredentials stored in %s\n", creds.Server, what, path)
	return nil
}

// check proves the credential: the admin credential lists workspaces,
// the others read their workspace (a build token without the read
// permission gets 403, which still proves it authenticates).
func check(ctx context.Context, conn *remote.Conn, admin bool, ws string) (string, error) {
	if admin {
		if _, err := conn.ListWorkspaces(ctx); err != nil {
			return "", err
		}
		if ws == "" {
			return " as the operator (admin credential)", nil
		}
	}
	w, err := conn.GetWorkspace(ctx, ws)
	if errors.Is(err, client.ErrForbidden) && !admin {
		return " (workspace " + ws + ")", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(" (workspace %s, %s)", w.Name, w.ID), nil
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
