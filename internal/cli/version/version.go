// Package version implements `forge version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/buildinfo"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/iostreams"
)

// Options are the inputs of `forge version`.
type Options struct {
	IO     *iostreams.IOStreams
	Output string
}

// NewCmdVersion returns the version command; runF replaces the run in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of forge",
		Example: `  forge version
  forge version -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Run prints the build information.
func Run(opts *Options) error {
	info := buildinfo.Get()
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, info)
	}
	fmt.Fprintf(opts.IO.Out, "forge %s (%s, %s", info.Version, info.Platform, info.GoVersion)
	if info.Commit != "" {
		c := info.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		fmt.Fprintf(opts.IO.Out, ", commit %s", c)
	}
	fmt.Fprintln(opts.IO.Out, ")")
	return nil
}
