// Package ext implements `forge ext`: creating extensions (and, with the
// server, pushing and reviewing them).
package ext

import (
	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
)

// NewCmdExt returns `forge ext` and its verbs.
func NewCmdExt(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ext <command>",
		Short: "Create and manage extensions",
		Long: `An extension is a manifest (extension.yaml) declaring everything it may do —
triggers, secrets, egress hosts, config, the capabilities used at build time,
limits — and a WebAssembly module that runs in Forge's sandbox.`,
		Example: `  forge ext new invoice-digest
  forge build extensions/invoice-digest
  forge validate extensions/invoice-digest`,
	}
	cmd.AddCommand(NewCmdNew(f, nil))
	return cmd
}
