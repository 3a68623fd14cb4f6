// Package key implements `forge key`: the API keys of a workspace.
package key

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdKey returns `forge key` and its verbs.
func NewCmdKey(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key <command>",
		Short: "Manage the workspace's API keys",
		Long: `Workspace API keys (cwa_…) hold every permission in their workspace: they
create subjects, build tokens and review extensions. Rotate one by creating
a new key, deploying it, and revoking the old one.`,
		Example: `  forge key create ci
  forge key list
  forge key revoke 5b1e…`,
	}
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdList(f, nil), NewCmdRevoke(f, nil))
	return cmd
}

// Options are the inputs of the key verbs.
type Options struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	Arg    string // the name (create) or the key id (revoke)
	Output string
}

func newCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error, run func(context.Context, *Options) error, c *cobra.Command, output bool) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Remote: remote.Connector(nil), Output: cmdutil.FormatText}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := cmdutil.CheckOutput(opts.Output); err != nil {
			return err
		}
		if len(args) > 0 {
			opts.Arg = args[0]
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
	if output {
		cmdutil.AddOutputFlag(c, &opts.Output)
	}
	return c
}

// NewCmdCreate returns `forge key create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return newCmd(f, runF, RunCreate, &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API key (shown once)",
		Example: `  forge key create ci
  forge key create ci -o json`,
		Args: cobra.ExactArgs(1),
	}, true)
}

// RunCreate creates a key and prints it once.
func RunCreate(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	res, err := conn.CreateAPIKey(ctx, ws, opts.Arg)
	if err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintln(opts.IO.ErrOut, "warning: the API key is shown only now; store it in a secret manager.")
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	fmt.Fprintf(opts.IO.Out, "API key %s (%s): %s\n", res.Key.Name, res.Key.ID, res.APIKey)
	return nil
}

// NewCmdList returns `forge key list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return newCmd(f, runF, RunList, &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the API keys, revoked ones included",
		Example: `  forge key list
  forge key list -o json`,
		Args: cobra.NoArgs,
	}, true)
}

// RunList lists the keys.
func RunList(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	keys, err := conn.ListAPIKeys(ctx, ws)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Keys []client.APIKey `json:"keys"`
		}{cmdutil.NonNil(keys)})
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, remote.Time(&k.CreatedAt), remote.Time(k.RevokedAt))
	}
	return tw.Flush()
}

// NewCmdRevoke returns `forge key revoke`.
func NewCmdRevoke(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return newCmd(f, runF, RunRevoke, &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke an API key (effective on the next request)",
		Example: `  forge key revoke 5b1e0c…`,
		Args:    cobra.ExactArgs(1),
	}, false)
}

// RunRevoke revokes a key.
func RunRevoke(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	if err := conn.RevokeAPIKey(ctx, ws, opts.Arg); err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Revoked API key %s.\n", opts.Arg)
	return nil
}
