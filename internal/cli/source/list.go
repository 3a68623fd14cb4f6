package source

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// ListOptions are the inputs of `forge source list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Config *config.Config
	Output string
}

// NewCmdList returns `forge source list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the sources pinned in the registry",
		Example: `  forge source list
  forge source list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			cfg, err := f.LoadConfig(cmd)
			if err != nil {
				return err
			}
			opts.Config = cfg
			if runF != nil {
				return runF(opts)
			}
			return RunList(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunList prints the sources.
func RunList(opts *ListOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Sources []capability.SourceRecord `json:"sources"`
		}{cmdutil.NonNil(reg.Index.Sources)})
	}
	if len(reg.Index.Sources) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No sources yet. Add one with: forge source add NAME --openapi FILE")
		return nil
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "NAME\tKIND\tCAPABILITIES\tORIGIN")
	for _, s := range reg.Index.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, s.Kind, s.Capabilities, s.Origin())
	}
	return tw.Flush()
}
