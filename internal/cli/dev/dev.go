// Package dev implements `forge dev`: run an extension locally on its
// schedule, rebuilding and reloading it when its files change.
package dev

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	clirun "github.com/forgehq/forge/internal/cli/run"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/localrun"
)

// Options are the inputs of `forge dev`.
type Options struct {
	IO      *iostreams.IOStreams
	Config  *config.Config
	WorkDir string
	Path    string
	Now     []string
	MaxRuns int
	Flags   clirun.Flags
	// Clock is the time source (tests); nil means time.Now.
	Clock func() time.Time
}

// NewCmdDev returns `forge dev`.
func NewCmdDev(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "dev DIR",
		Short: "Run an extension locally on its schedule, reloading it when files change",
		Long: `Load the extension in DIR into the sandbox (with the same limits and egress
guard as forge run), then fire its scheduled triggers on their cron schedules,
in their time zones, printing each run as it happens. When a file of the
extension changes, it is rebuilt and reloaded; a build that fails is reported
and the previous version keeps running. Stop with Ctrl-C.`,
		Example: `  forge dev extensions/invoice-digest --secret SLACK_TOKEN=xoxb-test
  forge dev extensions/invoice-digest --now weekly --state-dir .forge/state
  forge dev extensions/invoice-digest --now weekly --max-runs 1   # fire once and exit`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if opts.MaxRuns < 0 {
				return cmdutil.FlagErrorf("--max-runs must be zero (no limit) or more")
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
	cmd.Flags().StringArrayVar(&opts.Now, "now", nil, "fire this trigger once at start (repeatable)")
	cmd.Flags().IntVar(&opts.MaxRuns, "max-runs", 0, "exit after this many runs (0: run until interrupted)")
	opts.Flags.AddFlags(cmd)
	return cmd
}

type dev struct {
	opts    *Options
	lo      localrun.Options
	session *localrun.Session
	runs    int
}

// Run loads the extension and runs it until ctx ends or MaxRuns is reached.
func Run(ctx context.Context, opts *Options) error {
	lo, err := opts.Flags.Options(opts.WorkDir, opts.Path, opts.Config)
	if err != nil {
		return err
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	d := &dev{opts: opts, lo: lo}
	if d.session, err = localrun.Load(ctx, lo); err != nil {
		return err
	}
	defer func() { _ = d.session.Close(context.Background()) }()
	for _, t := range opts.Now {
		if d.session.Manifest.Trigger(t) == nil {
			return cmdutil.FlagErrorf("--now %s: no such trigger", t)
		}
	}

	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer watcher.Close()
	if err := watchTree(watcher, lo.Path); err != nil {
		return err
	}
	d.printSchedule()

	for _, t := range opts.Now {
		if done := d.fire(ctx, t, nil); done {
			return nil
		}
	}
	var debounce <-chan time.Time
	for {
		trigger, at := d.nextFiring()
		var timer <-chan time.Time
		if trigger != "" {
			timer = time.After(time.Until(at))
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(d.opts.IO.ErrOut, "stopped")
			return nil
		case <-timer:
			fired := at
			if done := d.fire(ctx, trigger, &fired); done {
				return nil
			}
		case ev, ok := <-watcher.Events:
			if !ok {
				return nil
			}
			if relevant(ev) {
				debounce = time.After(300 * time.Millisecond)
			}
		case err := <-watcher.Errors:
			fmt.Fprintf(d.opts.IO.ErrOut, "watch: %v\n", err)
		case <-debounce:
			debounce = nil
			d.reload(ctx)
		}
	}
}

// fire runs one trigger and reports whether MaxRuns has been reached.
func (d *dev) fire(ctx context.Context, trigger string, at *time.Time) bool {
	fmt.Fprintf(d.opts.IO.Out, "--- %s %s\n", d.opts.Clock().Format(time.RFC3339), trigger)
	r, err := d.session.Invoke(ctx, trigger, nil, at)
	if err != nil {
		fmt.Fprintf(d.opts.IO.Out, "error: %v\n", err)
	} else {
		clirun.Print(d.opts.IO.Out, r)
	}
	d.runs++
	return d.opts.MaxRuns > 0 && d.runs >= d.opts.MaxRuns
}

func (d *dev) reload(ctx context.Context) {
	fmt.Fprintln(d.opts.IO.Out, "--- change detected: rebuilding")
	s, err := localrun.Load(ctx, d.lo)
	if err != nil {
		fmt.Fprintf(d.opts.IO.Out, "rebuild failed, still running the previous version:\n%v\n", err)
		return
	}
	_ = d.session.Close(ctx)
	d.session = s
	fmt.Fprintf(d.opts.IO.Out, "--- reloaded %s %s\n", s.Manifest.Name, s.Manifest.Version)
	d.printSchedule()
}

// nextFiring returns the scheduled trigger that fires first.
func (d *dev) nextFiring() (string, time.Time) {
	now := d.opts.Clock()
	var best string
	var at time.Time
	for _, t := range d.session.Manifest.Triggers {
		if t.Schedule == nil {
			continue
		}
		next := t.Schedule.Next(now)
		if next.IsZero() {
			continue
		}
		if best == "" || next.Before(at) {
			best, at = t.Name, next
		}
	}
	return best, at
}

func (d *dev) printSchedule() {
	now := d.opts.Clock()
	var lines []string
	for _, t := range d.session.Manifest.Triggers {
		switch {
		case t.Schedule != nil:
			lines = append(lines, fmt.Sprintf("  %s: %q, next at %s", t.Name, t.Schedule.Cron, t.Schedule.Next(now).Format(time.RFC3339)))
		case t.Event != nil:
			lines = append(lines, fmt.Sprintf("  %s: event %s (run it with forge run --trigger %s --event FILE)", t.Name, t.Event.Type, t.Name))
		}
	}
	sort.Strings(lines)
	fmt.Fprintf(d.opts.IO.Out, "Watching %s (%s %s); triggers:\n%s\n", d.opts.Path, d.session.Manifest.Name, d.session.Manifest.Version, strings.Join(lines, "\n"))
}

// watchTree watches dir and its subdirectories, except hidden ones and
// dist/.
func watchTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		name := e.Name()
		if p != dir && (strings.HasPrefix(name, ".") || name == "dist" || name == "node_modules") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}

// relevant reports whether a file event should trigger a rebuild.
func relevant(ev fsnotify.Event) bool {
	if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Remove|fsnotify.Rename) == 0 {
		return false
	}
	base := filepath.Base(ev.Name)
	switch filepath.Ext(base) {
	case ".go", ".yaml", ".yml", ".wasm", ".mod", ".sum":
		return !strings.HasPrefix(base, ".")
	}
	return false
}
