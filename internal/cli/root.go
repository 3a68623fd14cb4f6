package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/audit"
	"github.com/forgehq/forge/internal/cli/build"
	"github.com/forgehq/forge/internal/cli/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/dev"
	"github.com/forgehq/forge/internal/cli/ext"
	"github.com/forgehq/forge/internal/cli/gendocs"
	"github.com/forgehq/forge/internal/cli/initcmd"
	"github.com/forgehq/forge/internal/cli/key"
	"github.com/forgehq/forge/internal/cli/login"
	"github.com/forgehq/forge/internal/cli/registry"
	"github.com/forgehq/forge/internal/cli/run"
	"github.com/forgehq/forge/internal/cli/schema"
	"github.com/forgehq/forge/internal/cli/secret"
	cliserver "github.com/forgehq/forge/internal/cli/server"
	"github.com/forgehq/forge/internal/cli/source"
	"github.com/forgehq/forge/internal/cli/subject"
	"github.com/forgehq/forge/internal/cli/token"
	"github.com/forgehq/forge/internal/cli/validate"
	"github.com/forgehq/forge/internal/cli/version"
	"github.com/forgehq/forge/internal/cli/workspace"
)

// NewRootCmd builds the forge command tree.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "forge",
		Short: "Declare capabilities, build and validate sandboxed extensions",
		Long: `Forge lets a SaaS product hand an AI agent to its customers to write
extensions, without the agent or its code reaching anything the product did
not declare.

The forge CLI imports MCP, OpenAPI and GraphQL sources into a pinned
capability registry and checks that nothing has drifted since; it scaffolds,
builds and validates extensions against that registry, runs them locally in
the WebAssembly sandbox with production limits, and runs the control plane
(forge server) where they are pushed, approved and audited.`,
		Example: `  # Start a project and import an OpenAPI description
  forge init
  forge source add petstore --openapi specs/petstore.yaml

  # See what was declared, and check for drift in CI
  forge capability list
  forge source sync --check

  # Write, build and validate an extension
  forge ext new invoice-digest
  forge build extensions/invoice-digest
  forge validate --format sarif > forge.sarif

  # Run one trigger in the sandbox
  forge run extensions/invoice-digest --trigger weekly --secret SLACK_TOKEN=xoxb-test`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "path to forge.yaml (default: search upwards from the working directory; env FORGE_CONFIG)")
	root.PersistentFlags().String("registry", "", "capability registry directory, relative to the working directory (default: forge.yaml's registry, relative to the project; env FORGE_REGISTRY)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })

	root.AddGroup(&cobra.Group{ID: "project", Title: "Project commands:"}, &cobra.Group{ID: "registry", Title: "Registry commands:"},
		&cobra.Group{ID: "extension", Title: "Extension commands:"}, &cobra.Group{ID: "server", Title: "Server commands:"})
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("project", initcmd.NewCmdInit(f, nil))
	add("registry", source.NewCmdSource(f), capability.NewCmdCapability(f))
	add("extension", ext.NewCmdExt(f), build.NewCmdBuild(f, nil), validate.NewCmdValidate(f, nil),
		run.NewCmdRun(f, nil), dev.NewCmdDev(f, nil))
	add("server", cliserver.NewCmdServer(f, nil), login.NewCmdLogin(f, nil), login.NewCmdLogout(f, nil),
		workspace.NewCmdWorkspace(f), subject.NewCmdSubject(f), key.NewCmdKey(f), token.NewCmdToken(f),
		subject.NewCmdEvents(f), secret.NewCmdSecret(f), registry.NewCmdRegistry(f), audit.NewCmdAudit(f))
	root.AddCommand(version.NewCmdVersion(f, nil), schema.NewCmdSchema(f), gendocs.NewCmdGenDocs(f))
	// Cobra adds these lazily on Execute; add them now so that they get the
	// same usage errors as every other command.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	usageErrors(root)
	return root
}

// usageErrors makes every usage mistake cobra detects a *cmdutil.FlagError
// (exit 2) where it arises, so that Main never reads error text:
//   - a command that only groups verbs (subcommands, no Run) shows its help
//     when called bare and refuses anything else as an unknown command
//     (cobra would print the help and exit 0 for `forge audit verfy`);
//   - argument validators return FlagError;
//   - required flags and flag groups are checked before cobra does, as
//     FlagError.
//
// Bad flag values and unknown flags reach the root's FlagErrorFunc.
func usageErrors(c *cobra.Command) {
	switch {
	case c.HasSubCommands() && c.Run == nil && c.RunE == nil:
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
			}
			return cmdutil.FlagErrorf("%s", msg)
		}
	case c.Args != nil:
		validate := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := validate(cmd, args); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			return nil
		}
	}
	if c.Runnable() {
		preRun := c.PreRunE
		c.PreRunE = func(cmd *cobra.Command, args []string) error {
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if preRun != nil {
				return preRun(cmd, args)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageErrors(sub)
	}
}
