package cli

import (
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
	root.PersistentFlags().String("registry", "", "capability registry directory (default from forge.yaml: registry; env FORGE_REGISTRY)")
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
	return root
}
