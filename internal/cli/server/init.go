package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	apiserver "github.com/forgehq/forge/internal/server"
)

// InitOptions are the inputs of `forge server init`.
type InitOptions struct {
	Options
	ResetAdmin bool
}

// NewCmdInit returns `forge server init`; runF replaces the run in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{Options: Options{IO: f.IOStreams}}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the database, the master key and the admin credential",
		Long: `Prepare the server's data directory: the database (migrated), the master key
(unless FORGE_MASTER_KEY is set) and the operator's admin credential, which
is printed to standard error once. Running it again refuses to print a new
credential while one exists; --reset-admin revokes the existing ones and
prints a new one.`,
		Example: `  forge server init
  forge server init --reset-admin --database postgres://forge@db:5432/forge`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunInit(cmd.Context(), opts)
		},
	}
	opts.addStorageFlags(cmd)
	cmd.Flags().BoolVar(&opts.ResetAdmin, "reset-admin", false, "revoke the existing admin credentials and print a new one")
	return cmd
}

// RunInit runs `forge server init`.
func RunInit(ctx context.Context, opts *InitOptions) error {
	dir, err := opts.dataDir()
	if err != nil {
		return err
	}
	st, err := opts.openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	mk, _, err := opts.masterKey(ctx, st, dir)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	if err := apiserver.CheckMasterKey(ctx, st, mk); err != nil {
		return err
	}
	err = bootstrap(ctx, st, opts.IO.ErrOut, opts.ResetAdmin)
	if errors.Is(err, apiserver.ErrAdminExists) {
		return &cmdutil.InputError{Err: err}
	}
	return err
}
