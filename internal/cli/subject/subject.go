// Package subject implements `forge subject` (the host's customers of a
// workspace) and `forge events` (the event types the workspace declares).
package subject

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// Options are the inputs of the subject and events verbs.
type Options struct {
	IO          *iostreams.IOStreams
	Remote      func() (*remote.Conn, error)
	Args        []string
	DisplayName string
	Output      string
}

func newCmd(f *cmdutil.Factory, runF, run func(context.Context, *Options) error, c *cobra.Command) (*cobra.Command, *Options) {
	opts := &Options{IO: f.IOStreams, Remote: remote.Connector(nil), Output: cmdutil.FormatText}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := cmdutil.CheckOutput(opts.Output); err != nil {
			return err
		}
		opts.Args = args
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
	cmdutil.AddOutputFlag(c, &opts.Output)
	return c, opts
}

// NewCmdSubject returns `forge subject` and its verbs.
func NewCmdSubject(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subject <command>",
		Short: "Manage the workspace's subjects (the host's customers)",
		Long: `A subject is one of the host's customers, named by the host's own id. Build
tokens are minted for one subject, and extensions live in a subject's
namespace: workspace/subject/extension.`,
		Example: `  forge subject create cus_42 --display-name "Acme Ltd"
  forge subject list`,
	}
	create, copts := newCmd(f, nil, RunCreate, &cobra.Command{
		Use:     "create ID",
		Short:   "Create a subject",
		Example: `  forge subject create cus_42 --display-name "Acme Ltd"`,
		Args:    cobra.ExactArgs(1),
	})
	create.Flags().StringVar(&copts.DisplayName, "display-name", "", "a name for people")
	list, _ := newCmd(f, nil, RunList, &cobra.Command{
		Use: "list", Aliases: []string{"ls"}, Short: "List the subjects",
		Example: `  forge subject list -o json`, Args: cobra.NoArgs,
	})
	rm, _ := newCmd(f, nil, RunRemove, &cobra.Command{
		Use: "rm ID", Aliases: []string{"remove"}, Short: "Delete a subject and its extensions",
		Example: `  forge subject rm cus_42`, Args: cobra.ExactArgs(1),
	})
	cmd.AddCommand(create, list, rm)
	return cmd
}

// RunCreate creates a subject.
func RunCreate(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	s, err := conn.CreateSubject(ctx, ws, client.CreateSubjectRequest{ID: opts.Args[0], DisplayName: opts.DisplayName})
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, s)
	}
	fmt.Fprintf(opts.IO.Out, "Created subject %s\n", s.ID)
	return nil
}

// RunList lists the subjects.
func RunList(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	subjects, err := conn.ListSubjects(ctx, ws)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Subjects []client.Subject `json:"subjects"`
		}{cmdutil.NonNil(subjects)})
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "ID\tDISPLAY NAME\tCREATED")
	for _, s := range subjects {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, s.DisplayName, remote.Time(&s.CreatedAt))
	}
	return tw.Flush()
}

// RunRemove deletes a subject.
func RunRemove(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	if err := conn.DeleteSubject(ctx, ws, opts.Args[0]); err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintf(opts.IO.Out, "Deleted subject %s\n", opts.Args[0])
	return nil
}
