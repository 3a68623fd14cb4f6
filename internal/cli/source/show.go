package source

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// ShowOptions are the inputs of `forge source show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Config *config.Config
	Name   string
	Output string
}

// NewCmdShow returns `forge source show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a source: where it comes from, its digest and its capabilities",
		Example: `  forge source show petstore
  forge source show petstore -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSources(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
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

// RunShow prints one source.
func RunShow(opts *ShowOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	rec, err := reg.Source(opts.Name)
	if err != nil {
		return err
	}
	all, err := reg.Entries()
	if err != nil {
		return err
	}
	var entries []capability.Entry
	for _, e := range all {
		if src, _, _ := capability.SplitID(e.ID); src == rec.Name {
			entries = append(entries, e)
		}
	}
	if entries == nil {
		entries = []capability.Entry{}
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Source       *capability.SourceRecord `json:"source"`
			Capabilities []capability.Entry       `json:"capabilities"`
		}{rec, entries})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Name:          %s\n", rec.Name)
	fmt.Fprintf(w, "Kind:          %s\n", rec.Kind)
	fmt.Fprintf(w, "Origin:        %s\n", rec.Origin())
	fmt.Fprintf(w, "Digest:        %s\n", rec.Digest)
	if rec.AllowExternalRefs {
		fmt.Fprintln(w, "External refs: allowed")
	}
	if rec.AllowPrivateNetwork {
		fmt.Fprintln(w, "Private network: allowed")
	}
	keys := make([]string, 0, len(rec.Provenance))
	for k := range rec.Provenance {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%-15s%s\n", k+":", rec.Provenance[k])
	}
	fmt.Fprintf(w, "Capabilities:  %d\n\n", rec.Capabilities)
	tw := cmdutil.Table(w)
	fmt.Fprintln(tw, "ID\tEFFECT")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\n", e.ID, e.Effect)
	}
	return tw.Flush()
}

// completeSources completes source names from the registry.
func completeSources(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		cfg, err := f.LoadConfig(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		reg, err := capability.Open(cfg.Registry)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []string
		for _, s := range reg.Index.Sources {
			names = append(names, s.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
