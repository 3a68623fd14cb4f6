// Package capability implements `forge capability`: listing, showing and
// searching the capabilities pinned in the registry.
package capability

import (
	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
)

// NewCmdCapability returns `forge capability` and its verbs.
func NewCmdCapability(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "capability <command>",
		Aliases: []string{"cap"},
		Short:   "List, show and search the capabilities in the registry",
		Long: `A capability is one callable tool from a source, with a stable id
(SOURCE.NAME), an effect (read, write or destructive), an input JSON Schema,
a dispatch target and a digest over its definition.`,
		Example: `  forge capability list --source petstore --effect write
  forge capability show petstore.addPet
  forge capability search "create issue"`,
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdSearch(f, nil))
	return cmd
}

// completeIDs completes capability ids from the registry index.
func completeIDs(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := f.LoadConfig(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		reg, err := capability.Open(cfg.Registry)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		entries, err := reg.Entries()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		ids := make([]string, 0, len(entries))
		for _, e := range entries {
			ids = append(ids, e.ID)
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

// Summary is a capability without its input schema, for listings.
type Summary struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Name        string            `json:"name"`
	Kind        capability.Kind   `json:"kind"`
	Effect      capability.Effect `json:"effect"`
	Description string            `json:"description,omitempty"`
	Target      capability.Target `json:"target"`
	Digest      string            `json:"digest"`
}

func summarize(c *capability.Capability) Summary {
	return Summary{ID: c.ID, Source: c.Source, Name: c.Name, Kind: c.Kind, Effect: c.Effect, Description: c.Description, Target: c.Target, Digest: c.Digest}
}
