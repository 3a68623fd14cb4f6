// Package secret implements `forge secret`: the secrets of one extension
// namespace (workspace/subject/extension). Values are write-only: they are
// read from standard input or a hidden prompt, never from a flag, and the
// server never returns them.
package secret

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdSecret returns `forge secret` and its verbs.
func NewCmdSecret(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret <command>",
		Short: "Set, list and remove the secrets of an extension namespace",
		Long: `Secrets belong to one namespace: a workspace, a subject (customer) and an
extension. They are encrypted at rest and only that extension can read them
at run time. The manifest declares each secret and the hosts it may be sent
to. Values are read from a hidden prompt, or from standard input.`,
		Example: `  forge secret set invoice-digest SLACK_TOKEN --subject cus_42
  printf %s "$TOKEN" | forge secret set invoice-digest SLACK_TOKEN --subject cus_42
  forge secret list invoice-digest --subject cus_42
  forge secret rm invoice-digest SLACK_TOKEN --subject cus_42`,
	}
	cmd.AddCommand(NewCmdSet(f, nil), NewCmdList(f, nil), NewCmdRemove(f, nil))
	return cmd
}

// Options are the inputs of the secret verbs.
type Options struct {
	IO        *iostreams.IOStreams
	Remote    func() (*remote.Conn, error)
	Subject   string
	Extension string
	Name      string
	Output    string
}

func newOptions(f *cmdutil.Factory) *Options {
	return &Options{IO: f.IOStreams, Remote: remote.Connector(nil), Output: cmdutil.FormatText}
}

func (o *Options) fill(args []string) error {
	if err := cmdutil.CheckOutput(o.Output); err != nil {
		return err
	}
	if o.Subject == "" {
		return cmdutil.FlagErrorf("--subject is required")
	}
	o.Extension = args[0]
	if len(args) > 1 {
		o.Name = args[1]
	}
	return nil
}

func subjectFlag(cmd *cobra.Command, o *Options) {
	cmd.Flags().StringVar(&o.Subject, "subject", "", "the subject (customer id) of the namespace")
}

// NewCmdSet returns `forge secret set`.
func NewCmdSet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:   "set EXTENSION NAME --subject S",
		Short: "Set a secret (the value from a hidden prompt or standard input)",
		Example: `  forge secret set invoice-digest SLACK_TOKEN --subject cus_42
  vault read -field=token secret/slack | forge secret set invoice-digest SLACK_TOKEN --subject cus_42`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.fill(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunSet(cmd.Context(), opts)
		},
	}
	subjectFlag(cmd, opts)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunSet reads the value and stores it.
func RunSet(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	value, err := remote.ReadSecret(opts.IO, "Value of "+opts.Name+": ", false)
	if err != nil {
		return err
	}
	info, err := conn.PutSecret(ctx, ws, opts.Subject, opts.Extension, opts.Name, value)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, info)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Set secret %s of %s for %s.\n", info.Name, opts.Extension, opts.Subject)
	return nil
}

// NewCmdList returns `forge secret list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:     "list EXTENSION --subject S",
		Aliases: []string{"ls"},
		Short:   "List the secret names of a namespace (values are never shown)",
		Example: `  forge secret list invoice-digest --subject cus_42
  forge secret list invoice-digest --subject cus_42 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.fill(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunList(cmd.Context(), opts)
		},
	}
	subjectFlag(cmd, opts)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunList lists the secret names.
func RunList(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	list, err := conn.ListSecrets(ctx, ws, opts.Subject, opts.Extension)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Secrets []client.SecretInfo `json:"secrets"`
		}{cmdutil.NonNil(list)})
	}
	if len(list) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No secrets.")
		return nil
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "NAME\tUPDATED")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, remote.Time(&s.UpdatedAt))
	}
	return tw.Flush()
}

// NewCmdRemove returns `forge secret rm`.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:     "rm EXTENSION NAME --subject S",
		Aliases: []string{"remove", "delete"},
		Short:   "Delete a secret",
		Example: `  forge secret rm invoice-digest SLACK_TOKEN --subject cus_42`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.fill(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunRemove(cmd.Context(), opts)
		},
	}
	subjectFlag(cmd, opts)
	return cmd
}

// RunRemove deletes the secret.
func RunRemove(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	if err := conn.DeleteSecret(ctx, ws, opts.Subject, opts.Extension, opts.Name); err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Deleted secret %s of %s for %s.\n", opts.Name, opts.Extension, opts.Subject)
	return nil
}
