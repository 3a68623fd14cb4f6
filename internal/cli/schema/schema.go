// Package schema implements `forge schema`, which prints the JSON Schemas
// of Forge's file formats for editors and other tools.
package schema

import (
	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/manifest"
)

// NewCmdSchema returns `forge schema`.
func NewCmdSchema(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema <kind>",
		Short: "Print the JSON Schema of a Forge file format",
		Example: `  forge schema extension > extension.schema.json
  # or point your editor at docs/extension.schema.json:
  # yaml-language-server: $schema=https://forge.dev/schemas/extension.schema.json`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "extension",
		Short:   "Print the JSON Schema of extension.yaml",
		Example: `  forge schema extension`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := f.IOStreams.Out.Write(manifest.JSONSchema())
			return err
		},
	})
	return cmd
}
