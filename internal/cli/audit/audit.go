// Package audit implements `forge audit`: reading a workspace's audit log
// and verifying its hash chain.
package audit

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdAudit returns `forge audit` and its verbs.
func NewCmdAudit(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Read and verify the workspace's audit log",
		Long: `Every change on the server (credentials, registry pushes, extension pushes
and state changes, secrets and config) is an audit record. Each record holds
the hash of the one before it, so a removed or edited record breaks the
chain, and forge audit verify says where.`,
		Example: `  forge audit list --limit 20
  forge audit verify`,
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdVerify(f, nil))
	return cmd
}

// ListOptions are the inputs of `forge audit list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	After  int64
	Limit  int
	Output string
}

// NewCmdList returns `forge audit list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List audit records in order",
		Example: `  forge audit list
  forge audit list --after 120 --limit 50 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if opts.After < 0 {
				return cmdutil.FlagErrorf("invalid --after %d: want 0 or more", opts.After)
			}
			if opts.Limit < 1 || opts.Limit > 1000 {
				return cmdutil.FlagErrorf("invalid --limit %d: want 1 to 1000", opts.Limit)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunList(cmd.Context(), opts)
		},
	}
	cmd.Flags().Int64Var(&opts.After, "after", 0, "only records with a sequence number above this one")
	cmd.Flags().IntVar(&opts.Limit, "limit", 100, "at most this many records (1-1000)")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunList prints one page of records.
func RunList(ctx context.Context, opts *ListOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	page, err := conn.ListAudit(ctx, ws, opts.After, opts.Limit)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		page.Records = cmdutil.NonNil(page.Records)
		return cmdutil.WriteJSON(opts.IO.Out, page)
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET")
	for _, r := range page.Records {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.UTC().Format("2006-01-02T15:04:05Z"), r.Actor, r.Action, r.Target)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != 0 {
		fmt.Fprintf(opts.IO.ErrOut, "More records: forge audit list --after %d\n", page.Next)
	}
	return nil
}

// VerifyOptions are the inputs of `forge audit verify`.
type VerifyOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	Output string
}

// NewCmdVerify returns `forge audit verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit hash chain (exit 1 when broken)",
		Long: `Ask the server to recompute the audit hash chain of the workspace. Exits 0
when every record verifies, and 1 naming the first record that does not.`,
		Example: `  forge audit verify
  forge audit verify -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunVerify(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// BrokenError says that the chain does not verify (exit 1).
type BrokenError struct{ Broken client.AuditBroken }

func (e *BrokenError) Error() string {
	return fmt.Sprintf("the audit chain is broken at record %d: %s", e.Broken.Seq, e.Broken.Reason)
}

// RunVerify verifies the chain.
func RunVerify(ctx context.Context, opts *VerifyOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	v, err := conn.VerifyAudit(ctx, ws)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, v); err != nil {
			return err
		}
	} else if v.OK {
		fmt.Fprintf(opts.IO.Out, "The audit chain verifies: %d records.\n", v.Records)
	}
	if !v.OK {
		b := client.AuditBroken{Reason: "the server reported a broken chain"}
		if v.Broken != nil {
			b = *v.Broken
		}
		return &BrokenError{Broken: b}
	}
	return nil
}
