package source

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/source"
)

// SyncOptions are the inputs of `forge source sync`.
type SyncOptions struct {
	IO        *iostreams.IOStreams
	Config    *config.Config
	Importers map[capability.Kind]source.Importer
	Names     []string
	Check     bool
	Output    string
}

// NewCmdSync returns `forge source sync`.
func NewCmdSync(f *cmdutil.Factory, runF func(context.Context, *SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{IO: f.IOStreams, Importers: f.Importers}
	cmd := &cobra.Command{
		Use:   "sync [NAME...]",
		Short: "Re-read sources and update their pins (or, with --check, report drift)",
		Long: `Re-read every source (or the named ones) and compare what it says now with
the pinned capabilities: added, removed and changed capabilities (a changed
description, schema, effect or target included) are listed.

With --check nothing is written and the exit status is 1 when anything
differs: run it in CI to catch drift, including a "rug pull" where a tool's
description or schema changed under the same name. Without --check the new
pins are written. When any source cannot be read, nothing is written.`,
		Example: `  forge source sync --check
  forge source sync petstore
  forge source sync --check -o json`,
		ValidArgsFunction: completeSources(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
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
			return RunSync(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Check, "check", false, "write nothing; exit 1 when any source differs from its pins")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// SourceDrift is one source's differences, in JSON output.
type SourceDrift struct {
	Source    string              `json:"source"`
	OldDigest string              `json:"oldDigest"`
	NewDigest string              `json:"newDigest"`
	Changes   []capability.Change `json:"changes"`
	Warnings  []source.Warning    `json:"warnings"`
	Shadowing []capability.Shadow `json:"shadowing"`
}

// SyncResult is the JSON output of `forge source sync`.
type SyncResult struct {
	Check   bool          `json:"check"`
	Drift   bool          `json:"drift"`
	Sources []SourceDrift `json:"sources"`
}

type fresh struct {
	spec source.Spec
	res  *source.Result
	caps []capability.Capability
}

// RunSync re-reads the sources.
func RunSync(ctx context.Context, opts *SyncOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	names := opts.Names
	if len(names) == 0 {
		for _, s := range reg.Index.Sources {
			names = append(names, s.Name)
		}
		if len(names) == 0 {
			fmt.Fprintln(opts.IO.ErrOut, "No sources to sync. Add one with: forge source add NAME --openapi FILE")
			if opts.Output == cmdutil.FormatJSON {
				return cmdutil.WriteJSON(opts.IO.Out, SyncResult{Check: opts.Check, Sources: []SourceDrift{}})
			}
			return nil
		}
	}
	r := &reader{io: opts.IO, cfg: opts.Config, importers: opts.Importers}
	result := SyncResult{Check: opts.Check, Sources: []SourceDrift{}}
	var reads []fresh
	// Read everything first: when any source fails, nothing is written.
	for _, name := range names {
		rec, err := reg.Source(name)
		if err != nil {
			return err
		}
		res, caps, err := r.read(ctx, rec.SourceSpec)
		if err != nil {
			return err
		}
		pinned, err := reg.Load(name)
		if err != nil {
			return err
		}
		changes := capability.Diff(pinned, caps)
		d := SourceDrift{Source: name, OldDigest: rec.Digest, NewDigest: res.Digest, Changes: changes, Warnings: cmdutil.NonNil(res.Warnings), Shadowing: []capability.Shadow{}}
		if d.Changes == nil {
			d.Changes = []capability.Change{}
		}
		if len(changes) > 0 {
			result.Drift = true
			if !opts.Check {
				shadows, err := shadowing(reg, name, caps)
				if err != nil {
					return err
				}
				d.Shadowing = cmdutil.NonNil(shadows)
			}
		}
		result.Sources = append(result.Sources, d)
		reads = append(reads, fresh{spec: rec.SourceSpec, res: res, caps: caps})
	}
	if !opts.Check {
		for i, f := range reads {
			if len(result.Sources[i].Changes) == 0 && f.res.Digest == result.Sources[i].OldDigest {
				continue
			}
			if err := reg.Put(record(f.spec, f.res), f.caps); err != nil {
				return err
			}
		}
	}
	if opts.Output == cmdutil.FormatJSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, result); err != nil {
			return err
		}
	} else {
		printSync(opts, result)
	}
	if opts.Check && result.Drift {
		return cmdutil.ErrSilent
	}
	return nil
}

func printSync(opts *SyncOptions, result SyncResult) {
	w := opts.IO.Out
	for _, d := range result.Sources {
		printWarnings(opts.IO.ErrOut, d.Source, d.Warnings, d.Shadowing)
		if len(d.Changes) == 0 {
			fmt.Fprintf(w, "%s: up to date\n", d.Source)
			continue
		}
		verb := "updated"
		if opts.Check {
			verb = "drifted"
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", d.Source, verb, plural(len(d.Changes), "change"))
		printChanges(w, d.Changes)
	}
	if opts.Check && result.Drift {
		fmt.Fprintln(opts.IO.ErrOut, "Sources differ from their pins. Review the changes, then run `forge source sync` to accept them.")
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
