package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/iostreams"
	apiserver "github.com/forgehq/forge/internal/server"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/postgres"
	"github.com/forgehq/forge/internal/store/sqlite"
	"github.com/forgehq/forge/internal/vault"
)

// DefaultAddr is where `forge server` listens by default: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// Options are the inputs of `forge server`.
type Options struct {
	IO            *iostreams.IOStreams
	Addr          string
	DataDir       string
	Database      string
	TLSCert       string
	TLSKey        string
	MasterKeyFile string

	// Listen opens the listener; nil is net.Listen. Tests pass a loopback
	// listener of their own.
	Listen func(network, addr string) (net.Listener, error)
	// Getenv reads the environment (FORGE_MASTER_KEY); nil is os.Getenv
	// through vault.MasterKeyFromEnv.
	Getenv func(string) string
	// Ready, when set, is called once the server listens, with its address.
	Ready func(addr net.Addr)
}

// NewCmdServer returns `forge server` with its `init` subcommand; runF
// replaces the run in tests.
func NewCmdServer(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Forge control plane (HTTP API)",
		Long: `Run the Forge server: the HTTP API under /v1 (described by the OpenAPI
document at /v1/openapi.json) for workspaces, subjects, build tokens, the
capability registry, extensions and their approval, namespace secrets and
config, and the audit log.

With no setup it keeps an SQLite database and a generated master key
(mode 0600) in the data directory; --database postgres://… lets several
replicas share one PostgreSQL database. The master key comes from
FORGE_MASTER_KEY when set, else from --master-key-file.

On its first start the server prints a one-time admin credential (adm_…) to
standard error; keep it: it creates workspaces. ` + "`forge server init`" + ` prints it
explicitly. Logs are JSON lines on standard error and never contain
secrets. SIGINT or SIGTERM shut the server down gracefully.`,
		Example: `  forge server
  forge server --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem
  forge server --database postgres://forge@db:5432/forge`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd)
	cmd.AddCommand(NewCmdInit(f, nil), NewCmdRotateMasterKey(f, nil))
	return cmd
}

func (o *Options) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", DefaultAddr, "address to listen on")
	fl.StringVar(&o.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; needs --tls-key)")
	fl.StringVar(&o.TLSKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	o.addStorageFlags(cmd)
}

func (o *Options) addStorageFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.DataDir, "data-dir", "", "directory of the SQLite database and the master key (default: the user data directory/forge-server)")
	fl.StringVar(&o.Database, "database", "", "database: an SQLite file path, or postgres://… for several replicas (default: forge.db in the data directory)")
	fl.StringVar(&o.MasterKeyFile, "master-key-file", "", "master key file, when FORGE_MASTER_KEY is not set; created (0600) if missing and the database holds no data keys yet (default: master.key in the data directory)")
}

func (o *Options) check() error {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return cmdutil.FlagErrorf("--tls-cert and --tls-key go together")
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	return nil
}

// dataDir returns the data directory, creating it (0700).
func (o *Options) dataDir() (string, error) {
	dir := o.DataDir
	if dir == "" {
		base, err := userDataDir()
		if err != nil {
			return "", fmt.Errorf("no --data-dir given and no user data directory: %w", err)
		}
		dir = filepath.Join(base, "forge-server")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// userDataDir is $XDG_DATA_HOME or ~/.local/share on Unix, the
// application support directory on macOS and %LocalAppData% on Windows.
func userDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return os.UserConfigDir()
	case "darwin", "ios":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share"), nil
}

// openStore opens the database the options name.
func (o *Options) openStore(ctx context.Context, dataDir string) (store.Store, error) {
	db := o.Database
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	db = strings.TrimPrefix(db, "sqlite://")
	if db == "" {
		db = filepath.Join(dataDir, "forge.db")
	}
	return sqlite.Open(ctx, db)
}

// masterKey reads FORGE_MASTER_KEY, else the key file. It creates the file
// only when it is missing and st holds no data keys: a database with data
// keys and no key file has lost (or misplaced) its master key, and a new
// key could open none of its secrets, so that is an error naming the key
// the data keys need.
func (o *Options) masterKey(ctx context.Context, st store.Store, dataDir string) (mk *vault.MasterKey, created bool, err error) {
	if mk, ok, err := o.envMasterKey(); err != nil || ok {
		return mk, false, err
	}
	ids, err := st.MasterKeyIDs(ctx)
	if err != nil {
		return nil, false, err
	}
	keyFile := o.keyFile(dataDir)
	if len(ids) == 0 {
		return vault.LoadOrCreateMasterKey(keyFile)
	}
	mk, err = vault.ReadMasterKeyFile(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, &cmdutil.InputError{Err: fmt.Errorf(
			"no master key: %s does not exist and %s is not set, but the database holds data keys wrapped by master key %s; "+
				"restore that key file (or set %s) — a new key could open none of the stored secrets",
			keyFile, vault.MasterKeyEnv, strings.Join(slices.Sorted(maps.Keys(ids)), ", "), vault.MasterKeyEnv)}
	}
	return mk, false, err
}

// envMasterKey reads FORGE_MASTER_KEY (through o.Getenv when set); ok
// reports that it is set.
func (o *Options) envMasterKey() (mk *vault.MasterKey, ok bool, err error) {
	if o.Getenv == nil {
		return vault.MasterKeyFromEnv()
	}
	v := o.Getenv(vault.MasterKeyEnv)
	if v == "" {
		return nil, false, nil
	}
	mk, err = vault.ParseMasterKey(v)
	return mk, true, err
}

// keyFile is the master key file: --master-key-file, else master.key in
// the data directory.
func (o *Options) keyFile(dataDir string) string {
	if o.MasterKeyFile != "" {
		return o.MasterKeyFile
	}
	return filepath.Join(dataDir, "master.key")
}

// Run runs the server until ctx is done or SIGINT/SIGTERM arrives.
func Run(ctx context.Context, opts *Options) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(opts.IO.ErrOut, nil))
	dir, err := opts.dataDir()
	if err != nil {
		return err
	}
	st, err := opts.openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	mk, created, err := opts.masterKey(ctx, st, dir)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	if created {
		logger.Info("generated a master key", "master_key_id", mk.ID)
	}
	if err := apiserver.CheckMasterKey(ctx, st, mk); err != nil {
		return err
	}
	if err := bootstrap(ctx, st, opts.IO.ErrOut, false); err != nil && !errors.Is(err, apiserver.ErrAdminExists) {
		return err
	}
	var tlsConf *tls.Config
	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return &cmdutil.InputError{Err: fmt.Errorf("--tls-cert/--tls-key: %w", err)}
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	listen := opts.Listen
	if listen == nil {
		listen = net.Listen
	}
	ln, err := listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	srv := apiserver.New(apiserver.Deps{Store: st, MasterKey: mk, Logger: logger, TLSConfig: tlsConf})
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	err = srv.Run(ctx, ln)
	if err == nil && ctx.Err() != nil {
		return nil // a requested shutdown is a clean exit
	}
	return err
}

// bootstrap creates the admin credential when there is none (or always,
// with reset) and prints it to w once.
func bootstrap(ctx context.Context, st store.Store, w io.Writer, reset bool) error {
	plain, err := apiserver.BootstrapAdmin(ctx, st, reset, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\nAdmin credential (shown once; it creates workspaces):\n\n    %s\n\nUse it as: Authorization: Bearer <credential>\n\n", plain)
	return err
}
