// Package cli builds the forge command tree and maps errors to exit codes.
// Main is the only place that decides an exit code; commands return typed
// errors (see cmdutil.ExitCode and docs/exit-codes.md).
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/source"
	"github.com/forgehq/forge/internal/source/graphql"
	"github.com/forgehq/forge/internal/source/mcp"
	"github.com/forgehq/forge/internal/source/openapi"
)

// NewFactory returns the production Factory for the given streams.
func NewFactory(ios *iostreams.IOStreams) *cmdutil.Factory {
	f := &cmdutil.Factory{
		IOStreams: ios,
		WorkDir:   cmdutil.Getwd(),
		Importers: map[capability.Kind]source.Importer{
			capability.KindOpenAPI: openapi.Importer{},
			capability.KindGraphQL: graphql.Importer{},
			capability.KindMCP:     mcp.Importer{},
		},
	}
	f.Config = func(flags *pflag.FlagSet) (*config.Config, error) {
		file := ""
		if flags != nil && flags.Lookup("config") != nil {
			var err error
			if file, err = flags.GetString("config"); err != nil {
				return nil, fmt.Errorf("--config: %w", err)
			}
		}
		return config.Load(f.WorkDir, file, flags)
	}
	return f
}

// Main runs forge with args and returns the exit code.
func Main(ctx context.Context, args []string, ios *iostreams.IOStreams) int {
	return Run(ctx, NewFactory(ios), args)
}

// Run runs the command tree built from f with args.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	return execute(ctx, f, NewRootCmd(f), args)
}

// execute runs root with args and maps the outcome to an exit code.
func execute(ctx context.Context, f *cmdutil.Factory, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if errors.Is(err, cmdutil.ErrSilent) {
		return cmdutil.ExitFailure
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(f.IOStreams.ErrOut, "interrupted")
		return cmdutil.ExitInterrupted
	}
	code := cmdutil.ExitCode(err)
	fmt.Fprintf(f.IOStreams.ErrOut, "error: %s\n", err)
	var fe *cmdutil.FlagError
	if code == cmdutil.ExitUsage && cmd != nil && errors.As(err, &fe) {
		fmt.Fprintf(f.IOStreams.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}
