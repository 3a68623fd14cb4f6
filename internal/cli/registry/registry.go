// Package registry implements `forge registry push`: sending the project's
// capability registry to a Forge server, which validates pushed extensions
// against it.
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdRegistry returns `forge registry` and its verbs.
func NewCmdRegistry(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry <command>",
		Short: "Push the capability registry to a Forge server",
		Long: `The server validates every pushed extension against the workspace's
registry, as forge validate does locally. Push the registry whenever
forge source sync changed it.`,
		Example: `  forge registry push`,
	}
	cmd.AddCommand(NewCmdPush(f, nil))
	return cmd
}

// PushOptions are the inputs of `forge registry push`.
type PushOptions struct {
	IO       *iostreams.IOStreams
	Remote   func() (*remote.Conn, error)
	Registry string // the registry directory
	Output   string
}

// NewCmdPush returns `forge registry push`.
func NewCmdPush(f *cmdutil.Factory, runF func(context.Context, *PushOptions) error) *cobra.Command {
	opts := &PushOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Push the project's registry (index.json and its capability files)",
		Long: `Send the registry directory of the project (from forge.yaml, or --registry):
index.json and the capability files it names. The server checks every
digest; pushing the registry it already has stores nothing.`,
		Example: `  forge registry push
  forge registry push --registry ./registry -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			cfg, err := f.LoadConfig(cmd)
			if err != nil {
				return err
			}
			opts.Registry = cfg.Registry
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunPush(cmd.Context(), opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunPush reads the registry and pushes it.
func RunPush(ctx context.Context, opts *PushOptions) error {
	doc, err := Read(opts.Registry)
	if err != nil {
		return err
	}
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	info, err := conn.PushRegistry(ctx, ws, doc)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, info)
	}
	fmt.Fprintf(opts.IO.Out, "Registry version %d: %d sources, %d capabilities (%s)\n", info.Version, info.Sources, info.Capabilities, info.Digest)
	return nil
}

// Read reads the registry in dir as the server expects it: index.json as
// is, and every capability file the index names, by file name.
func Read(dir string) (client.RegistryPush, error) {
	var doc client.RegistryPush
	reg, err := capability.Open(dir)
	if err != nil {
		return doc, err
	}
	idx, err := os.ReadFile(filepath.Join(dir, capability.IndexFile))
	if err != nil {
		return doc, &cmdutil.InputError{Err: err}
	}
	if !json.Valid(idx) {
		return doc, &cmdutil.InputError{Err: fmt.Errorf("%s: not JSON", filepath.Join(dir, capability.IndexFile))}
	}
	doc.Index = idx
	doc.Files = map[string]string{}
	for _, s := range reg.Index.Sources {
		if s.File == "" || filepath.Base(s.File) != s.File {
			return doc, &cmdutil.InputError{Err: fmt.Errorf("%s: source %s names the file %q, which is not in the registry directory", filepath.Join(dir, capability.IndexFile), s.Name, s.File)}
		}
		b, err := os.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			return doc, &cmdutil.InputError{Err: err}
		}
		doc.Files[s.File] = string(b)
	}
	return doc, nil
}
