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
  forge validate extensions/invoice-digest
  forge ext push dist/invoice-digest-0.1.0 --subject cus_42
  forge ext approve invoice-digest 1 --subject cus_42`,
	}
	cmd.AddCommand(NewCmdNew(f, nil))
	AddRemoteCommands(cmd, f)
	return cmd
}
