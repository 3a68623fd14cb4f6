// Package workspace implements `forge workspace`: creating, listing and
// showing workspaces on a Forge server, and rotating their signing secret.
package workspace

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdWorkspace returns `forge workspace` and its verbs.
func NewCmdWorkspace(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workspace <command>",
		Short: "Manage workspaces on a Forge server",
		Long: `A workspace is one host: the multi-tenancy boundary of the server. Creating
and listing workspaces needs the operator's admin credential; showing one
works with its API key too.`,
		Example: `  forge workspace create acme
  forge workspace list
  forge workspace rotate-signing-secret`,
	}
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdRotate(f, nil))
	return cmd
}

// CreateOptions are the inputs of `forge workspace create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	Name   string
	Output string
}

// NewCmdCreate returns `forge workspace create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a workspace (admin credential)",
		Long: `Create a workspace. The output holds its first API key (cwa_…) and its
signing secret (cws_…): they are shown this once and cannot be read again.
Store them in a secret manager before doing anything else.`,
		Example: `  forge workspace create acme
  forge workspace create acme -o json > /secure/place/acme.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunCreate(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunCreate creates the workspace and prints its secrets once.
func RunCreate(ctx context.Context, opts *CreateOptions) error {
	conn, err := opts.Remote()
	if err != nil {
		return err
	}
	res, err := conn.CreateWorkspace(ctx, opts.Name)
	if err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintln(opts.IO.ErrOut, "warning: the API key and the signing secret are shown only now; store them in a secret manager.")
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Workspace:      %s (%s)\n", res.Workspace.Name, res.Workspace.ID)
	fmt.Fprintf(w, "API key:        %s\n", res.APIKey)
	fmt.Fprintf(w, "Signing secret: %s\n", res.SigningSecret)
	fmt.Fprintf(opts.IO.ErrOut, "\nNext: forge login --server %s --workspace %s\n", conn.Server, res.Workspace.ID)
	return nil
}

// ListOptions are the inputs of `forge workspace list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	Output string
}

// NewCmdList returns `forge workspace list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the workspaces (admin credential)",
		Example: `  forge workspace list
  forge workspace list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunList(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunList lists the workspaces.
func RunList(ctx context.Context, opts *ListOptions) error {
	conn, err := opts.Remote()
	if err != nil {
		return err
	}
	list, err := conn.ListWorkspaces(ctx)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Workspaces []client.Workspace `json:"workspaces"`
		}{cmdutil.NonNil(list)})
	}
	if len(list) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No workspaces yet. Create one with: forge workspace create NAME")
		return nil
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, w := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", w.ID, w.Name, remote.Time(&w.CreatedAt))
	}
	return tw.Flush()
}

// ShowOptions are the inputs of `forge workspace show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	ID     string
	Output string
}

// NewCmdShow returns `forge workspace show`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:   "show [ID]",
		Short: "Show a workspace (default: the logged-in one)",
		Example: `  forge workspace show
  forge workspace show 3f2a0c… -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunShow(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunShow shows the workspace.
func RunShow(ctx context.Context, opts *ShowOptions) error {
	conn, err := opts.Remote()
	if err != nil {
		return err
	}
	id := opts.ID
	if id == "" {
		if id, err = conn.Workspace(); err != nil {
			return err
		}
	}
	w, err := conn.GetWorkspace(ctx, id)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, w)
	}
	fmt.Fprintf(opts.IO.Out, "ID:      %s\nName:    %s\nCreated: %s\n", w.ID, w.Name, remote.Time(&w.CreatedAt))
	return nil
}

// RotateOptions are the inputs of `forge workspace rotate-signing-secret`.
type RotateOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	Output string
}

// NewCmdRotate returns `forge workspace rotate-signing-secret`.
func NewCmdRotate(f *cmdutil.Factory, runF func(context.Context, *RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:   "rotate-signing-secret",
		Short: "Replace the workspace's signing secret (API key)",
		Long: `Generate a new signing secret (cws_…) for the dispatches the server signs.
The new secret is shown once. The previous one stays valid until the time
printed (24 hours by default), so the host can deploy the new one first.`,
		Example: `  forge workspace rotate-signing-secret
  forge workspace rotate-signing-secret -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunRotate(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunRotate rotates the signing secret.
func RunRotate(ctx context.Context, opts *RotateOptions) error {
	conn, err := opts.Remote()
	if err != nil {
		return err
	}
	ws, err := conn.Workspace()
	if err != nil {
		return err
	}
	rot, err := conn.RotateSigningSecret(ctx, ws)
	if err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintln(opts.IO.ErrOut, "warning: the new signing secret is shown only now; store it in a secret manager.")
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, rot)
	}
	fmt.Fprintf(opts.IO.Out, "Signing secret (version %d): %s\nThe previous secret stays valid until %s.\n", rot.Version, rot.SigningSecret, remote.Time(rot.PreviousExpiresAt))
	return nil
}
