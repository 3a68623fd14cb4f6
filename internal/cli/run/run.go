// Package run implements `forge run`, and the flags and printing that
// `forge dev` shares with it.
package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/localrun"
	"github.com/forgehq/forge/internal/sandbox"
)

// Flags are the options `forge run` and `forge dev` share.
type Flags struct {
	Secrets      []string
	SecretsFile  string
	Set          []string // config values, NAME=VALUE
	StateDir     string
	AllowPrivate bool
	CacheDir     string
	Record       string
	Replay       string
}

// AddFlags registers the shared flags.
func (fl *Flags) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&fl.Secrets, "secret", nil, "a secret for the run, NAME=VALUE (repeatable; the manifest must declare it)")
	f.StringVar(&fl.SecretsFile, "secrets-file", "", "read secrets from a file of NAME=VALUE lines")
	f.StringArrayVar(&fl.Set, "set", nil, "set a config value, NAME=VALUE (repeatable; overrides the manifest's default)")
	f.StringVar(&fl.StateDir, "state-dir", "", "keep the namespace's state in this directory between runs (default: in memory)")
	f.BoolVar(&fl.AllowPrivate, "allow-private-egress", false, "let declared hosts resolve to 127.0.0.1 or ::1, to test against a local server")
	f.StringVar(&fl.CacheDir, "cache-dir", "", "compilation cache directory (default: the user cache directory)")
	f.StringVar(&fl.Record, "record", "", "record the HTTP exchanges in this file")
	f.StringVar(&fl.Replay, "replay", "", "answer HTTP requests from this recording, with no network")
	cmd.MarkFlagsMutuallyExclusive("record", "replay")
}

// Options returns the localrun options the flags describe.
func (fl *Flags) Options(wd, path string, cfg *config.Config) (localrun.Options, error) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wd, p)
	}
	secrets := map[string]string{}
	if fl.SecretsFile != "" {
		s, err := localrun.ReadSecretsFile(abs(fl.SecretsFile))
		if err != nil {
			return localrun.Options{}, err
		}
		secrets = s
	}
	flagSecrets, err := localrun.ParseAssignments("secret", fl.Secrets)
	if err != nil {
		return localrun.Options{}, err
	}
	for k, v := range flagSecrets {
		secrets[k] = v
	}
	conf, err := localrun.ParseAssignments("set", fl.Set)
	if err != nil {
		return localrun.Options{}, err
	}
	return localrun.Options{
		Path: abs(path), Secrets: secrets, Config: conf, StateDir: abs(fl.StateDir),
		AllowPrivateEgress: fl.AllowPrivate, MaxLimits: MaxLimits(cfg), CacheDir: abs(fl.CacheDir),
		Record: abs(fl.Record), Replay: abs(fl.Replay),
	}, nil
}

// MaxLimits are the project's maxima: forge.yaml's extensions.maxLimits
// over the sandbox defaults for the limits forge.yaml does not set.
func MaxLimits(cfg *config.Config) sandbox.Limits {
	l := sandbox.DefaultLimits()
	l.MemoryBytes = cfg.Extensions.MaxMemoryBytes
	l.Timeout = cfg.Extensions.MaxTimeout
	l.HTTPCalls = cfg.Extensions.MaxHTTPCalls
	return l
}

// Options are the inputs of `forge run`.
type Options struct {
	IO      *iostreams.IOStreams
	Config  *config.Config
	WorkDir string
	Path    string
	Trigger string
	Event   string
	Output  string
	Flags   Flags
}

// NewCmdRun returns `forge run`.
func NewCmdRun(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "run DIR|BUNDLE --trigger NAME",
		Short: "Run one trigger of an extension in the sandbox, with production limits",
		Long: `Run one invocation of an extension locally, in the same WebAssembly sandbox
and with the same limits as the server: only the host ABI, only the egress
hosts the manifest declares (checked again at every redirect and against the
address actually dialled), secrets only towards the hosts they are bound to.

DIR is an extension directory (a Go module is built first) or a bundle from
forge build. Logs, every HTTP call and the result are printed; the exit
status is 0 when the handler succeeded, 1 when it failed or hit a limit, 2
for bad input. Secret values never appear in the output.

--record FILE stores the HTTP exchanges; --replay FILE answers from them with
no network, so an extension can be tested hermetically in CI.`,
		Example: `  forge run extensions/invoice-digest --trigger weekly --secret SLACK_TOKEN=xoxb-test
  forge run dist/invoice-digest-1.2.0 --trigger invoice_created --event event.json -o json
  echo '{"id":"in_1"}' | forge run extensions/invoice-digest --trigger invoice_created --event -
  forge run extensions/invoice-digest --trigger weekly --set greeting="Good afternoon"
  forge run extensions/invoice-digest --trigger weekly --record testdata/weekly.json
  forge run extensions/invoice-digest --trigger weekly --replay testdata/weekly.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
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
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Trigger, "trigger", "", "the trigger to run (required)")
	cmd.Flags().StringVar(&opts.Event, "event", "", "the event, a JSON file or - for standard input")
	_ = cmd.MarkFlagRequired("trigger")
	opts.Flags.AddFlags(cmd)
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Run runs the trigger.
func Run(ctx context.Context, opts *Options) error {
	lo, err := opts.Flags.Options(opts.WorkDir, opts.Path, opts.Config)
	if err != nil {
		return err
	}
	var event []byte
	switch opts.Event {
	case "":
	case "-":
		if event, err = io.ReadAll(io.LimitReader(opts.IO.In, 16<<20)); err != nil {
			return err
		}
	default:
		if event, err = os.ReadFile(abs(opts.WorkDir, opts.Event)); err != nil {
			return &cmdutil.InputError{Err: fmt.Errorf("--event: %w", err)}
		}
	}
	progress := opts.IO.StartProgress("Loading " + opts.Path)
	s, err := localrun.Load(ctx, lo)
	progress.Stop()
	if err != nil {
		return err
	}
	defer func() { _ = s.Close(ctx) }()
	r, err := s.Invoke(ctx, opts.Trigger, event, nil)
	if err != nil {
		return err
	}
	if err := s.Close(ctx); err != nil {
		return err
	}
	if opts.Output == cmdutil.FormatJSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, r); err != nil {
			return err
		}
	} else {
		Print(opts.IO.Out, r)
	}
	if !r.OK {
		return cmdutil.ErrSilent
	}
	return nil
}

// Print writes a run for people: logs, HTTP calls, then the result.
func Print(w io.Writer, r *localrun.Run) {
	for _, l := range r.Logs {
		fmt.Fprintf(w, "[%s] %s\n", l.Level, strings.TrimRight(l.Message, "\n"))
	}
	for _, c := range r.HTTPCalls {
		if c.Error != "" {
			fmt.Fprintf(w, "http %s %s: BLOCKED: %s\n", c.Method, c.URL, c.Error)
			continue
		}
		fmt.Fprintf(w, "http %s %s -> %d (%d bytes)\n", c.Method, c.URL, c.Status, c.BytesReceived)
	}
	status := "ok"
	if !r.OK {
		status = "FAILED"
	}
	fmt.Fprintf(w, "%s %s: %s in %.1f ms, peak memory %.1f MiB\n", r.Extension, r.Trigger, status, r.DurationMs, float64(r.PeakMemoryBytes)/(1<<20))
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	} else if r.Output != "" {
		fmt.Fprintf(w, "output: %s\n", r.Output)
	}
}

func abs(wd, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(wd, p)
}
