package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/iostreams"
)

// TestExitCodes runs the CLI entry on the real command tree, plus one
// hidden command that returns a chosen error, and checks the exit code.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  error // returned by the test command
		// cancel cancels the context before the test command returns.
		cancel   bool
		want     int
		wantHelp bool // "Run '... --help' for usage." on stderr
	}{
		{name: "ok", args: []string{"version"}, want: cmdutil.ExitOK},
		{name: "noun alone shows help", args: []string{"audit"}, want: cmdutil.ExitOK},
		{name: "unknown command", args: []string{"nosuch"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "unknown verb under source", args: []string{"source", "nosuch"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "mistyped verb under audit", args: []string{"audit", "verfy"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "unknown flag", args: []string{"version", "--bogus"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "bad flag value", args: []string{"audit", "list", "--limit", "many"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "too many arguments", args: []string{"version", "extra"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "missing argument", args: []string{"source", "add"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "missing required flag", args: []string{"run", "extensions/x"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "exclusive flags", args: []string{"source", "add", "x", "--openapi", "a", "--graphql", "b"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "one of a group required", args: []string{"source", "add", "x"}, want: cmdutil.ExitUsage, wantHelp: true},
		{name: "silent failure", args: []string{"fail"}, err: cmdutil.ErrSilent, want: cmdutil.ExitFailure},
		{name: "failure that mentions an invalid argument", args: []string{"fail"}, err: errors.New(`server: 422: invalid argument "x"; accepts 1 arg(s), received 2; unknown flag`), want: cmdutil.ExitFailure},
		{name: "flag error from a command", args: []string{"fail"}, err: cmdutil.FlagErrorf("bad"), want: cmdutil.ExitUsage, wantHelp: true},
		{name: "interrupted", args: []string{"fail"}, err: fmt.Errorf("request: %w", context.Canceled), cancel: true, want: cmdutil.ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, stderr := iostreams.Test()
			f := NewFactory(ios)
			f.WorkDir = t.TempDir()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			root := NewRootCmd(f)
			root.AddCommand(&cobra.Command{
				Use: "fail", Hidden: true,
				RunE: func(*cobra.Command, []string) error {
					if tt.cancel {
						cancel()
					}
					return tt.err
				},
			})
			got := execute(ctx, f, root, tt.args)
			if got != tt.want {
				t.Errorf("forge %s: exit %d, want %d; stderr:\n%s", strings.Join(tt.args, " "), got, tt.want, stderr)
			}
			if hint := strings.Contains(stderr.String(), "--help' for usage."); hint != tt.wantHelp {
				t.Errorf("forge %s: usage hint %v, want %v; stderr:\n%s", strings.Join(tt.args, " "), hint, tt.wantHelp, stderr)
			}
		})
	}
}

// TestMainUnknownVerb goes through Main, the entry cmd/forge calls.
func TestMainUnknownVerb(t *testing.T) {
	for _, args := range [][]string{{"source", "nosuch"}, {"audit", "verfy"}} {
		ios, stdout, _, stderr := iostreams.Test()
		if got := Main(t.Context(), args, ios); got != cmdutil.ExitUsage {
			t.Errorf("forge %s: exit %d, want %d", strings.Join(args, " "), got, cmdutil.ExitUsage)
		}
		if stdout.Len() != 0 {
			t.Errorf("forge %s printed on stdout:\n%s", strings.Join(args, " "), stdout)
		}
		if !strings.Contains(stderr.String(), fmt.Sprintf("unknown command %q", args[1])) {
			t.Errorf("forge %s: stderr %q", strings.Join(args, " "), stderr)
		}
	}
}
