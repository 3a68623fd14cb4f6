package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	apiserver "github.com/forgehq/forge/internal/server"
	"github.com/forgehq/forge/internal/vault"
)

// RotateOptions are the inputs of `forge server rotate-master-key`.
type RotateOptions struct {
	Options
	NewKeyFile string
	Output     string
}

// NewCmdRotateMasterKey returns `forge server rotate-master-key`; runF
// replaces the run in tests.
func NewCmdRotateMasterKey(f *cmdutil.Factory, runF func(context.Context, *RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{Options: Options{IO: f.IOStreams}, Output: cmdutil.FormatText}
	cmd := &cobra.Command{
		Use:   "rotate-master-key",
		Short: "Re-wrap every data key under a new master key",
		Long: `Generate a new master key and re-wrap every workspace's data key under it, in
one database transaction. The data keys, and so every encrypted secret, do
not change; each workspace's audit log records the rotation.

Stop every server first: a server still running with the old key can open
no secret after the rotation, and refuses to create workspaces. Then start
them again with the new key. A server started with a key that does not wrap
the database's data keys refuses to start.

Where the keys go:
  - The current key comes from FORGE_MASTER_KEY, else from the key file
    (--master-key-file, default master.key in the data directory).
  - The new key is first written to --new-master-key-file (default: the key
    file's path + ".new", mode 0600), before the database changes.
  - With a key file, that file is then replaced by the new key. With
    FORGE_MASTER_KEY, the new key stays in --new-master-key-file (required
    then): put it in FORGE_MASTER_KEY for every server and delete the file.

If the command is interrupted, run it again with the same flags: it reuses
the new key already written and re-wraps what is left.`,
		Example: `  # the default data directory and key file
  forge server rotate-master-key

  # PostgreSQL, the key in FORGE_MASTER_KEY
  forge server rotate-master-key --database postgres://forge@db:5432/forge \
      --new-master-key-file /run/secrets/forge-master-key.new`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunRotateMasterKey(cmd.Context(), opts)
		},
	}
	opts.addStorageFlags(cmd)
	cmd.Flags().StringVar(&opts.NewKeyFile, "new-master-key-file", "", "where the new master key is written (0600) before the database changes (default: the key file + \".new\")")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunRotateMasterKey runs `forge server rotate-master-key`.
func RunRotateMasterKey(ctx context.Context, opts *RotateOptions) error {
	dir, err := opts.dataDir()
	if err != nil {
		return err
	}
	current, keyFile, err := opts.currentMasterKey(dir)
	if err != nil {
		return err
	}
	pending := opts.NewKeyFile
	if pending == "" {
		if keyFile == "" {
			return cmdutil.FlagErrorf("the master key comes from FORGE_MASTER_KEY: give --new-master-key-file for the new key")
		}
		pending = keyFile + ".new"
	}
	if keyFile != "" && filepath.Clean(pending) == filepath.Clean(keyFile) {
		return cmdutil.FlagErrorf("--new-master-key-file must not be the current key file %s", keyFile)
	}
	// The new key is on disk before any data key is wrapped under it. A
	// key file left by an interrupted rotation is reused.
	next, err := vault.CreateMasterKeyFile(pending)
	if errors.Is(err, fs.ErrExist) {
		next, err = vault.ReadMasterKeyFile(pending)
	}
	if err != nil {
		return err
	}
	st, err := opts.openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	rot, err := apiserver.RotateMasterKey(ctx, st, current, next, time.Now())
	if err != nil {
		return err
	}
	newKeyAt := pending // where the new key is when the command ends
	if keyFile != "" {
		if err := vault.ReplaceMasterKeyFile(pending, keyFile); err != nil {
			return fmt.Errorf("the data keys are re-wrapped under the new master key %s, which is in %s, but replacing %s failed: %w (move it into place by hand)",
				next.ID, pending, keyFile, err)
		}
		newKeyAt = keyFile
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			apiserver.Rotation
			KeyFile string `json:"keyFile"`
		}{rot, newKeyAt})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Re-wrapped %d data keys of %d workspaces under master key %s (was %s).\n", rot.DataKeys, rot.Workspaces, rot.To, rot.From)
	if rot.Already > 0 {
		fmt.Fprintf(w, "%d data keys were already wrapped under it (an earlier, interrupted rotation).\n", rot.Already)
	}
	if keyFile != "" {
		fmt.Fprintf(w, "%s now holds the new master key. Start the servers again.\n", keyFile)
		return nil
	}
	fmt.Fprintf(w, "The new master key is in %s: set FORGE_MASTER_KEY to its content for every server, start them, then delete the file.\n", pending)
	return nil
}

// currentMasterKey reads FORGE_MASTER_KEY, else the key file, which must
// exist; keyFile is the file's path, or "" for the environment.
func (o *Options) currentMasterKey(dataDir string) (mk *vault.MasterKey, keyFile string, err error) {
	if mk, ok, err := o.envMasterKey(); err != nil || ok {
		return mk, "", err
	}
	keyFile = o.keyFile(dataDir)
	mk, err = vault.ReadMasterKeyFile(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", &cmdutil.InputError{Err: fmt.Errorf("no master key: %s does not exist and %s is not set", keyFile, vault.MasterKeyEnv)}
	}
	return mk, keyFile, err
}
