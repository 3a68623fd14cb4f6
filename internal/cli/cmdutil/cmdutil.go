// Package cmdutil holds what every command shares: the Factory of
// dependencies, typed errors that Main maps to exit codes, and the output
// format flag.
package cmdutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/localrun"
	"github.com/forgehq/forge/internal/source"
	"github.com/forgehq/forge/pkg/client"
)

// Factory carries a command's dependencies. Commands copy what they need
// into their options struct; tests build a Factory by hand.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// WorkDir is the directory the command runs in.
	WorkDir string
	// Config loads the configuration for the given flags.
	Config func(flags *pflag.FlagSet) (*config.Config, error)
	// Importers read sources, by kind.
	Importers map[capability.Kind]source.Importer
}

// LoadConfig resolves the configuration for cmd, honouring the persistent
// --config and --registry flags.
func (f *Factory) LoadConfig(cmd *cobra.Command) (*config.Config, error) {
	return f.Config(cmd.Flags())
}

// Exit codes. The table is documented in docs/exit-codes.md.
const (
	ExitOK          = 0
	ExitFailure     = 1 // findings, drift, a failed operation
	ExitUsage       = 2 // bad flags or arguments, unreadable or invalid input
	ExitAuth        = 4 // the server refused the credential (401) or the permission (403)
	ExitInterrupted = 130
)

// FlagError is a usage error: wrong flags or arguments (exit 2).
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// InputError is bad input: an unreadable or invalid file (exit 2).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ErrSilent ends a command with exit code 1 when the command has already
// said everything (for example, drift it listed).
var ErrSilent = errors.New("silent failure")

// ExitCode maps an error to the process exit code. Typed errors of the
// packages below the CLI are mapped here, once; commands return them as
// they are.
func ExitCode(err error) int {
	var fe *FlagError
	var ie *InputError
	var sie *source.InputError
	var lie *localrun.InputError
	var ce *config.Error
	var nf *capability.NotFoundError
	var corrupt *capability.CorruptError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &fe), errors.As(err, &ie), errors.As(err, &sie), errors.As(err, &lie),
		errors.As(err, &ce), errors.As(err, &nf), errors.As(err, &corrupt):
		return ExitUsage
	case errors.Is(err, client.ErrUnauthorized), errors.Is(err, client.ErrForbidden):
		return ExitAuth
	default:
		return ExitFailure
	}
}

// Output formats.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// AddOutputFlag adds -o/--output text|json.
func AddOutputFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", FormatText, "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{FormatText, FormatJSON}, cobra.ShellCompDirectiveNoFileComp
	})
}

// CheckOutput validates an output format value.
func CheckOutput(format string) error {
	if format != FormatText && format != FormatJSON {
		return FlagErrorf("invalid --output %q: want text or json", format)
	}
	return nil
}

// WriteJSON writes v as indented JSON with a trailing newline, without
// HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Getwd returns the working directory or ".".
func Getwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}
