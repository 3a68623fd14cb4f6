// Package validate implements `forge validate`, the CI gate for extensions.
package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/validate"
)

// Formats of the report.
var Formats = []string{"text", "json", "sarif", "junit", "github"}

// Options are the inputs of `forge validate`.
type Options struct {
	IO       *iostreams.IOStreams
	Config   *config.Config
	WorkDir  string
	Paths    []string
	Format   string
	FailOn   string
	Baseline string
	Strict   bool
}

// NewCmdValidate returns `forge validate`.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check extensions against the registry and the project's policy (the CI gate)",
		Long: `Check extensions offline, against the committed registry and forge.yaml.
PATH is an extension directory (with extension.yaml), a manifest file, or a
bundle built by forge build (whose module is checked too). Without PATH, every
extension under extensions/ is checked.

Every finding has a stable rule id (see docs/rules.md), a severity, the file
with line:col, and a hint. With --baseline, anything the extension gains over
the previously approved version — a capability, an egress host, a secret, a
trigger, a tighter schedule — is reported as an escalation warning.

Exit status: 0 when nothing at or above --fail-on was found, 1 when something
was, 2 for usage errors and unreadable input (see docs/exit-codes.md).`,
		Example: `  forge validate extensions/invoice-digest
  forge validate dist/invoice-digest-1.2.0 --baseline approved/invoice-digest-1.1.0
  forge validate --format sarif > forge.sarif
  forge validate --format github --fail-on warning`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if !slices.Contains(Formats, opts.Format) {
				return cmdutil.FlagErrorf("invalid --format %q: want one of text, json, sarif, junit, github", opts.Format)
			}
			if opts.FailOn != "error" && opts.FailOn != "warning" {
				return cmdutil.FlagErrorf("invalid --fail-on %q: want error or warning", opts.FailOn)
			}
			cfg, err := f.LoadConfig(cmd)
			if err != nil {
				return err
			}
			opts.Config = cfg
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "report format: text, json, sarif, junit or github")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "error", "exit 1 on findings at or above this severity: error or warning")
	cmd.Flags().StringVar(&opts.Baseline, "baseline", "", "previously approved bundle or extension directory; report escalations against it")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "treat plain-http egress as an error")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return Formats, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("fail-on", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"error", "warning"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Run validates the extensions and writes the report.
func Run(opts *Options) error {
	paths, err := opts.paths()
	if err != nil {
		return err
	}
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	var baseline *validateBaseline
	if opts.Baseline != "" {
		m, p, err := validate.LoadBaseline(opts.abs(opts.Baseline), opts.Baseline)
		if err != nil {
			return &cmdutil.InputError{Err: err}
		}
		baseline = &validateBaseline{m, p}
	}
	pol := Policy(opts.Config, opts.Strict)
	vreg := validate.RegistryOf(reg)
	var results []validate.Result
	var unreadable []error
	for _, p := range paths {
		ext, err := validate.Load(opts.abs(p), p)
		res := validate.Result{Path: opts.rel(opts.abs(p))}
		var ie *validate.InputError
		switch {
		case errors.As(err, &ie):
			unreadable = append(unreadable, err)
			res.Extension = filepath.Base(p)
			res.Diagnostics = opts.relDiags([]validate.Diagnostic{validate.InputDiagnostic(ie.Path, ie.Err)})
			results = append(results, res)
			continue
		case err != nil:
			return err
		}
		if baseline != nil {
			ext.Baseline, ext.BaselinePath = baseline.m, baseline.path
		}
		res.Extension = ext.Manifest.Name
		if res.Extension == "" {
			res.Extension = filepath.Base(p)
		}
		res.Diagnostics = opts.relDiags(validate.Check(ext, vreg, pol))
		if validate.Unreadable(res.Diagnostics) {
			unreadable = append(unreadable, fmt.Errorf("%s: module cannot be read", p))
		}
		results = append(results, res)
	}
	if err := validate.Write(opts.IO.Out, opts.Format, results); err != nil {
		return err
	}
	if len(unreadable) > 0 {
		return &cmdutil.InputError{Err: fmt.Errorf("%d of %d inputs could not be read", len(unreadable), len(paths))}
	}
	for _, r := range results {
		if validate.FailOn(r.Diagnostics, opts.FailOn) {
			return cmdutil.ErrSilent
		}
	}
	return nil
}

type validateBaseline struct {
	m    *manifest.Manifest
	path string
}

// paths returns the extensions to check: the arguments, or every
// extension directory under the project's extensions/.
func (o *Options) paths() ([]string, error) {
	if len(o.Paths) > 0 {
		return o.Paths, nil
	}
	if _, err := os.Stat(filepath.Join(o.WorkDir, validate.ManifestFile)); err == nil {
		return []string{"."}, nil
	}
	found, err := filepath.Glob(filepath.Join(o.Config.Dir, "extensions", "*", validate.ManifestFile))
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, cmdutil.FlagErrorf("no extensions found: give a PATH, or run forge ext new NAME")
	}
	sort.Strings(found)
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = filepath.Dir(f)
	}
	return out, nil
}

func (o *Options) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(o.WorkDir, p)
}

// rel makes a path relative to the working directory for reports (SARIF
// and GitHub annotations want repository-relative paths).
func (o *Options) rel(p string) string {
	if r, err := filepath.Rel(o.WorkDir, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func (o *Options) relDiags(ds []validate.Diagnostic) []validate.Diagnostic {
	for i := range ds {
		if ds[i].File != "" && filepath.IsAbs(ds[i].File) {
			ds[i].File = o.rel(ds[i].File)
		}
	}
	return ds
}
