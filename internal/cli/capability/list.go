package capability

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// ListOptions are the inputs of `forge capability list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Config *config.Config
	Source string
	Effect string
	Output string
}

// NewCmdList returns `forge capability list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List capabilities, optionally by source and effect",
		Example: `  forge capability list
  forge capability list --source github --effect destructive
  forge capability list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if opts.Effect != "" {
				if _, err := capability.ParseEffect(opts.Effect); err != nil {
					return &cmdutil.FlagError{Err: fmt.Errorf("--effect: %w", err)}
				}
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
	cmd.Flags().StringVar(&opts.Source, "source", "", "only capabilities of this source")
	cmd.Flags().StringVar(&opts.Effect, "effect", "", "only capabilities with this effect: read, write or destructive")
	_ = cmd.RegisterFlagCompletionFunc("effect", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"read", "write", "destructive"}, cobra.ShellCompDirectiveNoFileComp
	})
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunList prints the capabilities.
func RunList(opts *ListOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	var caps []capability.Capability
	if opts.Source != "" {
		caps, err = reg.Load(opts.Source)
	} else {
		caps, err = reg.All()
	}
	if err != nil {
		return err
	}
	effect, _ := capability.ParseEffect(opts.Effect)
	out := []Summary{}
	for i := range caps {
		if opts.Effect != "" && caps[i].Effect != effect {
			continue
		}
		out = append(out, summarize(&caps[i]))
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Capabilities []Summary `json:"capabilities"`
		}{out})
	}
	if len(out) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No capabilities match.")
		return nil
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "ID\tEFFECT\tDESCRIPTION")
	for _, s := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, s.Effect, firstLine(s.Description, 72))
	}
	return tw.Flush()
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}
