package ext

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/scaffold"
)

// NewOptions are the inputs of `forge ext new`.
type NewOptions struct {
	IO          *iostreams.IOStreams
	Config      *config.Config
	WorkDir     string
	Name        string
	Dir         string
	Description string
	Module      string
	Output      string
}

// NewCmdNew returns `forge ext new`.
func NewCmdNew(f *cmdutil.Factory, runF func(*NewOptions) error) *cobra.Command {
	opts := &NewOptions{IO: f.IOStreams, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Scaffold a Go extension: manifest, handler, test",
		Long: `Create a Go extension in extensions/NAME of the project (or --dir): an
extension.yaml, a handler in main.go, a test in main_test.go that runs the
handler against an in-memory host, a go.mod, and a vendored copy of the Forge
SDK in .forge/sdk so that it builds offline with the Go toolchain alone.`,
		Example: `  forge ext new invoice-digest
  forge ext new invoice-digest --dir ./ext --description "Post open invoices to Slack"
  cd extensions/invoice-digest && go test ./... && forge build`,
		Args: cobra.ExactArgs(1),
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
			return RunNew(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory to create (default: extensions/NAME in the project)")
	cmd.Flags().StringVar(&opts.Description, "description", "", "one-line description for the manifest")
	cmd.Flags().StringVar(&opts.Module, "module", "", "Go module path (default: example.com/extensions/NAME)")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunNew creates the extension.
func RunNew(opts *NewOptions) error {
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Join(opts.Config.Dir, "extensions", opts.Name)
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(opts.WorkDir, dir)
	}
	files, err := scaffold.Create(scaffold.Options{Name: opts.Name, Description: opts.Description, Module: opts.Module, Dir: dir})
	if err != nil {
		return &cmdutil.InputError{Err: err}
	}
	sort.Strings(files)
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Name  string   `json:"name"`
			Dir   string   `json:"dir"`
			Files []string `json:"files"`
		}{opts.Name, dir, files})
	}
	rel, err := filepath.Rel(opts.WorkDir, dir)
	if err != nil {
		rel = dir
	}
	fmt.Fprintf(opts.IO.Out, "Created extension %s in %s\n", opts.Name, rel)
	fmt.Fprintf(opts.IO.Out, "Next:\n  (cd %s && go test ./...)\n  forge build %s\n  forge validate %s\n", rel, rel, rel)
	return nil
}
