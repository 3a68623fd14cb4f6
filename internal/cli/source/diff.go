package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/source"
)

// DiffOptions are the inputs of `forge source diff`.
type DiffOptions struct {
	IO        *iostreams.IOStreams
	Config    *config.Config
	Importers map[capability.Kind]source.Importer
	Name      string
	ExitCode  bool
	Output    string
}

// NewCmdDiff returns `forge source diff`.
func NewCmdDiff(f *cmdutil.Factory, runF func(context.Context, *DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IOStreams, Importers: f.Importers}
	cmd := &cobra.Command{
		Use:   "diff NAME",
		Short: "Show how a source differs from its pins, in detail",
		Long: `Re-read one source and show each capability that was added, removed or
changed since it was pinned, with the old and new description where it
changed. Nothing is written.`,
		Example: `  forge source diff petstore
  forge source diff petstore --exit-code
  forge source diff petstore -o json`,
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
				return runF(cmd.Context(), opts)
			}
			return RunDiff(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.ExitCode, "exit-code", false, "exit 1 when there are differences")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// DiffEntry is one difference with the old and new definitions.
type DiffEntry struct {
	capability.Change
	Old *capability.Capability `json:"old,omitempty"`
	New *capability.Capability `json:"new,omitempty"`
}

// RunDiff prints the differences of one source.
func RunDiff(ctx context.Context, opts *DiffOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	rec, err := reg.Source(opts.Name)
	if err != nil {
		return err
	}
	r := &reader{io: opts.IO, cfg: opts.Config, importers: opts.Importers}
	_, caps, err := r.read(ctx, rec.SourceSpec)
	if err != nil {
		return err
	}
	pinned, err := reg.Load(opts.Name)
	if err != nil {
		return err
	}
	byID := func(cs []capability.Capability) map[string]*capability.Capability {
		m := make(map[string]*capability.Capability, len(cs))
		for i := range cs {
			m[cs[i].ID] = &cs[i]
		}
		return m
	}
	oldM, newM := byID(pinned), byID(caps)
	entries := []DiffEntry{}
	for _, c := range capability.Diff(pinned, caps) {
		entries = append(entries, DiffEntry{Change: c, Old: oldM[c.ID], New: newM[c.ID]})
	}
	if opts.Output == cmdutil.FormatJSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, struct {
			Source  string      `json:"source"`
			Changes []DiffEntry `json:"changes"`
		}{opts.Name, entries}); err != nil {
			return err
		}
	} else {
		printDiff(opts, entries)
	}
	if opts.ExitCode && len(entries) > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

func printDiff(opts *DiffOptions, entries []DiffEntry) {
	w := opts.IO.Out
	if len(entries) == 0 {
		fmt.Fprintf(w, "%s: no differences\n", opts.Name)
		return
	}
	for _, e := range entries {
		printChanges(w, []capability.Change{e.Change})
		if e.Kind != capability.Changed {
			continue
		}
		for _, f := range e.Fields {
			switch f {
			case "description":
				fmt.Fprintf(w, "    description was: %s\n", oneLine(e.Old.Description))
				fmt.Fprintf(w, "    description now: %s\n", oneLine(e.New.Description))
			case "effect":
				fmt.Fprintf(w, "    effect: %s -> %s\n", e.Old.Effect, e.New.Effect)
			case "target":
				fmt.Fprintf(w, "    target: %s -> %s\n", cmdutil.DescribeTarget(e.Old), cmdutil.DescribeTarget(e.New))
			case "inputSchema":
				fmt.Fprintf(w, "    input schema changed (%d -> %d bytes; see -o json)\n", len(e.Old.InputSchema), len(e.New.InputSchema))
			}
		}
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
