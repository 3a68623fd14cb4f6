// Package initcmd implements `forge init`.
package initcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/atomicfile"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// Options are the inputs of `forge init`.
type Options struct {
	IO    *iostreams.IOStreams
	Dir   string
	Force bool
}

// Folders created by init, besides the registry.
var Folders = []string{"registry", "extensions", "specs"}

// NewCmdInit returns the init command.
func NewCmdInit(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a Forge project: forge.yaml and its folders",
		Long: `Create forge.yaml and the project folders (registry/, extensions/, specs/)
in DIR (default: the working directory). An existing forge.yaml is kept
unless --force is given.`,
		Example: `  forge init
  forge init my-host-project`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Dir = f.WorkDir
			if len(args) == 1 {
				opts.Dir = args[0]
				if !filepath.IsAbs(opts.Dir) {
					opts.Dir = filepath.Join(f.WorkDir, opts.Dir)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing forge.yaml")
	return cmd
}

// Run creates the project.
func Run(opts *Options) error {
	if st, err := os.Stat(opts.Dir); err == nil && !st.IsDir() {
		return &cmdutil.InputError{Err: fmt.Errorf("%s exists and is not a directory", opts.Dir)}
	}
	cfgPath := filepath.Join(opts.Dir, config.FileName)
	if _, err := os.Stat(cfgPath); err == nil && !opts.Force {
		return &cmdutil.InputError{Err: fmt.Errorf("%s already exists; pass --force to overwrite it", cfgPath)}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, d := range Folders {
		if err := os.MkdirAll(filepath.Join(opts.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(cfgPath, []byte(config.DefaultProject), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Created %s\n", cfgPath)
	fmt.Fprintf(opts.IO.Out, "Next: forge source add NAME --openapi FILE (or --graphql, --mcp-command, --mcp-url)\n")
	return nil
}
