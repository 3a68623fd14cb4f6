// Package build implements `forge build`.
package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/buildinfo"
	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	clivalidate "github.com/forgehq/forge/internal/cli/validate"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/gobuild"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/validate"
)

// Options are the inputs of `forge build`.
type Options struct {
	IO      *iostreams.IOStreams
	Config  *config.Config
	WorkDir string
	Dir     string
	Dist    string
	FailOn  string
	Strict  bool
	Output  string
}

// NewCmdBuild returns `forge build`.
func NewCmdBuild(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Compile an extension to WebAssembly, validate it, and write a bundle",
		Long: `Build the extension in DIR (default: the working directory). A Go module
(module.go in extension.yaml) is compiled with the Go toolchain for
GOOS=wasip1 GOARCH=wasm, reproducibly: the same source gives the same module
digest. A prebuilt module (module.wasm) from any language is taken as is.

The module is then validated exactly as forge validate would, and when
nothing at or above --fail-on is found, a bundle is written to the project's
dist/ directory: the manifest, the module, a build record (module digest and
size, toolchain, the capabilities referenced) and SHA256SUMS. Nothing is
written when the build or validation fails.`,
		Example: `  forge build extensions/invoice-digest
  forge build --dist out -o json
  forge build --fail-on warning`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
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
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dist, "dist", "", "directory for bundles (default: dist/ in the project)")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "error", "refuse to write the bundle on findings at or above: error or warning")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "treat plain-http egress as an error")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Result is the JSON output of `forge build`.
type Result struct {
	Extension   string                `json:"extension"`
	Version     string                `json:"version"`
	Bundle      string                `json:"bundle"`
	Module      bundle.FileInfo       `json:"module"`
	Toolchain   string                `json:"toolchain"`
	Diagnostics []validate.Diagnostic `json:"diagnostics"`
}

// Run builds the extension.
func Run(ctx context.Context, opts *Options) error {
	dir := opts.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(opts.WorkDir, dir)
	}
	mpath := filepath.Join(dir, validate.ManifestFile)
	raw, err := os.ReadFile(mpath)
	if err != nil {
		return &cmdutil.InputError{Err: fmt.Errorf("%s: %w", rel(opts.WorkDir, mpath), unwrap(err))}
	}
	m, mdiags, err := manifest.Parse(rel(opts.WorkDir, mpath), raw)
	if err != nil {
		return &cmdutil.InputError{Err: err}
	}
	if hasErrors(mdiags) {
		_ = validate.Write(opts.IO.ErrOut, "text", []validate.Result{{Extension: m.Name, Path: rel(opts.WorkDir, dir), Diagnostics: mdiags}})
		return fmt.Errorf("%s has errors; fix them before building", rel(opts.WorkDir, mpath))
	}

	var module []byte
	toolchain := "prebuilt"
	switch {
	case m.Module.Go != "":
		src := m.Module.Resolve(dir)
		progress := opts.IO.StartProgress("Compiling " + m.Name)
		module, err = gobuild.Build(ctx, src)
		progress.Stop()
		if err != nil {
			return err
		}
		if toolchain, err = gobuild.Version(ctx); err != nil {
			return err
		}
	default:
		p := m.Module.Resolve(dir)
		if module, err = os.ReadFile(p); err != nil {
			return &cmdutil.InputError{Err: fmt.Errorf("%s: module %s: %w", rel(opts.WorkDir, mpath), m.Module.Wasm, unwrap(err))}
		}
	}

	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	ext := validate.Extension{ManifestPath: rel(opts.WorkDir, mpath), Manifest: m, ManifestDiags: mdiags, ModulePath: rel(opts.WorkDir, filepath.Join(dir, "module.wasm")), Module: module}
	diags := validate.Check(ext, validate.RegistryOf(reg), clivalidate.Policy(opts.Config, opts.Strict))
	if validate.Unreadable(diags) {
		_ = validate.Write(opts.IO.ErrOut, "text", []validate.Result{{Extension: m.Name, Path: rel(opts.WorkDir, dir), Diagnostics: diags}})
		return &cmdutil.InputError{Err: fmt.Errorf("%s: the module cannot be read", rel(opts.WorkDir, dir))}
	}
	if validate.FailOn(diags, opts.FailOn) {
		_ = validate.Write(opts.IO.ErrOut, "text", []validate.Result{{Extension: m.Name, Path: rel(opts.WorkDir, dir), Diagnostics: diags}})
		fmt.Fprintln(opts.IO.ErrOut, "Build refused: fix the findings above; no bundle was written.")
		return cmdutil.ErrSilent
	}

	refs := make([]bundle.CapabilityRef, 0, len(m.Capabilities))
	for _, c := range m.Capabilities {
		refs = append(refs, bundle.CapabilityRef{ID: c.ID, Digest: c.Digest})
	}
	dist := opts.Dist
	if dist == "" {
		dist = filepath.Join(opts.Config.Dir, "dist")
	} else if !filepath.IsAbs(dist) {
		dist = filepath.Join(opts.WorkDir, dist)
	}
	out, err := bundle.Write(dist, &bundle.Bundle{Manifest: raw, Module: module, Record: bundle.Record{
		Extension: m.Name, ExtensionVersion: m.Version, Toolchain: toolchain, Forge: buildinfo.Get().Version, Capabilities: refs,
	}})
	if err != nil {
		return err
	}
	res := Result{
		Extension: m.Name, Version: m.Version, Bundle: rel(opts.WorkDir, out), Toolchain: toolchain,
		Module: bundle.FileInfo{File: bundle.ModuleFile, Digest: bundle.Digest(module), Size: int64(len(module))}, Diagnostics: diags,
	}
	if res.Diagnostics == nil {
		res.Diagnostics = []validate.Diagnostic{}
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	if len(diags) > 0 {
		_ = validate.Write(opts.IO.ErrOut, "text", []validate.Result{{Extension: m.Name, Path: rel(opts.WorkDir, dir), Diagnostics: diags}})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Built %s %s\n", m.Name, m.Version)
	fmt.Fprintf(w, "  module:  %s (%s)\n", humanBytes(res.Module.Size), res.Module.Digest)
	fmt.Fprintf(w, "  built with: %s\n", toolchain)
	fmt.Fprintf(w, "  bundle:  %s\n", res.Bundle)
	return nil
}

func hasErrors(ds []validate.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == manifest.SeverityError {
			return true
		}
	}
	return false
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func rel(wd, p string) string {
	if r, err := filepath.Rel(wd, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
