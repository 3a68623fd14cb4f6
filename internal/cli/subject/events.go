package subject

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdEvents returns `forge events`: the event types the workspace
// declares, which extension event triggers must use.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events <command>",
		Short: "Set and list the workspace's declared event types",
		Long: `The server validates pushed extensions against these event types, as
forge validate does against forge.yaml's events: keep the two in step.`,
		Example: `  forge events set invoice.created invoice.paid
  forge events list`,
	}
	set, _ := newCmd(f, nil, RunSetEvents, &cobra.Command{
		Use: "set TYPE...", Short: "Replace the declared event types",
		Example: `  forge events set invoice.created invoice.paid`, Args: cobra.MinimumNArgs(1),
	})
	list, _ := newCmd(f, nil, RunListEvents, &cobra.Command{
		Use: "list", Aliases: []string{"ls"}, Short: "List the declared event types",
		Example: `  forge events list -o json`, Args: cobra.NoArgs,
	})
	cmd.AddCommand(set, list)
	return cmd
}

// RunSetEvents replaces the event types.
func RunSetEvents(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	types := make([]client.EventType, len(opts.Args))
	for i, a := range opts.Args {
		types[i] = client.EventType{Name: a}
	}
	got, err := conn.SetEventTypes(ctx, ws, types)
	if err != nil {
		return remote.Explain(err)
	}
	return printEvents(opts, got)
}

// RunListEvents lists the event types.
func RunListEvents(ctx context.Context, opts *Options) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	got, err := conn.ListEventTypes(ctx, ws)
	if err != nil {
		return remote.Explain(err)
	}
	return printEvents(opts, got)
}

func printEvents(opts *Options, types []client.EventType) error {
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Types []client.EventType `json:"types"`
		}{cmdutil.NonNil(types)})
	}
	for _, t := range types {
		fmt.Fprintln(opts.IO.Out, t.Name)
	}
	return nil
}
