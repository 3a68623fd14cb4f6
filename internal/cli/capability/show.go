package capability

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// ShowOptions are the inputs of `forge capability show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Config *config.Config
	ID     string
	Output string
}

// NewCmdShow returns `forge capability show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one capability: effect, target, digest and input schema",
		Example: `  forge capability show petstore.addPet
  forge capability show petstore.addPet -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
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
			return RunShow(opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunShow prints one capability.
func RunShow(opts *ShowOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	c, err := reg.Get(opts.ID)
	if err != nil {
		return err
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, c)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "ID:          %s\n", c.ID)
	fmt.Fprintf(w, "Source:      %s (%s)\n", c.Source, c.Kind)
	fmt.Fprintf(w, "Effect:      %s\n", c.Effect)
	fmt.Fprintf(w, "Target:      %s\n", cmdutil.DescribeTarget(c))
	fmt.Fprintf(w, "Digest:      %s\n", c.Digest)
	if c.Description != "" {
		fmt.Fprintf(w, "\n%s\n", c.Description)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, c.InputSchema, "", "  "); err != nil {
		pretty.Write(c.InputSchema)
	}
	fmt.Fprintf(w, "\nInput schema:\n%s\n", pretty.String())
	return nil
}
