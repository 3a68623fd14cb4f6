package source

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// RemoveOptions are the inputs of `forge source remove`.
type RemoveOptions struct {
	IO     *iostreams.IOStreams
	Config *config.Config
	Name   string
}

// NewCmdRemove returns `forge source remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:               "remove NAME",
		Aliases:           []string{"rm"},
		Short:             "Remove a source and its capabilities from the registry",
		Example:           `  forge source remove petstore`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSources(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			cfg, err := f.LoadConfig(cmd)
			if err != nil {
				return err
			}
			opts.Config = cfg
			if runF != nil {
				return runF(opts)
			}
			return RunRemove(opts)
		},
	}
	return cmd
}

// RunRemove unpins the source.
func RunRemove(opts *RemoveOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	rec, err := reg.Source(opts.Name)
	if err != nil {
		return err
	}
	n := rec.Capabilities
	if err := reg.Remove(opts.Name); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Removed source %s (%d capabilities)\n", opts.Name, n)
	return nil
}
