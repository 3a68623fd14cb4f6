package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/localrun"
	"github.com/forgehq/forge/internal/source"
	"github.com/forgehq/forge/pkg/client"
)

// TestExitCode checks the one table that maps typed errors to exit codes,
// with each error wrapped as a command would return it.
func TestExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("forge: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("invalid argument: accepts 1 arg(s)"), ExitFailure},
		{"silent", ErrSilent, ExitFailure},
		{"flag", FlagErrorf("bad"), ExitUsage},
		{"input", &InputError{Err: errors.New("bad")}, ExitUsage},
		{"source input", wrap(&source.InputError{File: "a.yaml", Msg: "bad"}), ExitUsage},
		{"localrun input", wrap(&localrun.InputError{Err: errors.New("trigger not declared")}), ExitUsage},
		{"config", wrap(&config.Error{File: "forge.yaml", Msg: "bad"}), ExitUsage},
		{"not found", wrap(&capability.NotFoundError{What: "source", Name: "x"}), ExitUsage},
		{"corrupt registry", wrap(&capability.CorruptError{Path: "registry/index.json", Msg: "bad"}), ExitUsage},
		{"unauthorized", wrap(client.ErrUnauthorized), ExitAuth},
		{"forbidden", wrap(client.ErrForbidden), ExitAuth},
		{"canceled", wrap(context.Canceled), ExitInterrupted},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}
