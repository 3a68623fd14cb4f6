package source

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/source"
)

// AddOptions are the inputs of `forge source add`.
type AddOptions struct {
	IO        *iostreams.IOStreams
	Config    *config.Config
	Name      string
	OpenAPI   string
	GraphQL   string
	MCPCmd    string
	MCPURL    string
	ExtRefs   bool
	Private   bool
	Output    string
	WorkDir   string
	Importers map[capability.Kind]source.Importer
}

// Spec returns the source declaration the flags describe.
func (o *AddOptions) Spec(projectDir string) (source.Spec, error) {
	spec := source.Spec{Name: o.Name, AllowExternalRefs: o.ExtRefs, AllowPrivateNetwork: o.Private}
	switch {
	case o.OpenAPI != "":
		spec.Kind, spec.Location = capability.KindOpenAPI, projectPath(o.WorkDir, projectDir, o.OpenAPI)
	case o.GraphQL != "":
		spec.Kind, spec.Location = capability.KindGraphQL, projectPath(o.WorkDir, projectDir, o.GraphQL)
	case o.MCPCmd != "":
		spec.Kind, spec.Command = capability.KindMCP, o.MCPCmd
	case o.MCPURL != "":
		if !source.IsURL(o.MCPURL) {
			return spec, cmdutil.FlagErrorf("--mcp-url %q is not an http(s) URL", o.MCPURL)
		}
		spec.Kind, spec.Location = capability.KindMCP, o.MCPURL
	default:
		return spec, cmdutil.FlagErrorf("give one of --openapi, --graphql, --mcp-command or --mcp-url")
	}
	if o.ExtRefs && spec.Kind != capability.KindOpenAPI {
		return spec, cmdutil.FlagErrorf("--allow-external-refs applies only to --openapi")
	}
	return spec, nil
}

// NewCmdAdd returns `forge source add`.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	opts := &AddOptions{IO: f.IOStreams, WorkDir: f.WorkDir, Importers: f.Importers}
	cmd := &cobra.Command{
		Use:   "add NAME (--openapi PATH|URL | --graphql PATH|URL | --mcp-command CMD | --mcp-url URL)",
		Short: "Import a source into the registry",
		Long: `Import an OpenAPI description, a GraphQL schema or an MCP server's tools as
capabilities named NAME.OPERATION, and pin them in the registry.

OpenAPI 3.0, 3.1 and Swagger 2.0 (JSON or YAML) are read from a file or an
http(s) URL. GraphQL is read from an SDL file, an introspection JSON result,
or a live endpoint (which is sent the introspection query). MCP servers are
started over stdio (--mcp-command) or reached over streamable HTTP, falling
back to SSE (--mcp-url).

Remote documents and servers on loopback, private or link-local addresses
are refused unless --allow-private-network is given. External $refs in an
OpenAPI document are read only with --allow-external-refs.

Nothing is written when the source cannot be read: the registry is left as
it was and the command exits with status 2.`,
		Example: `  forge source add petstore --openapi specs/petstore.yaml
  forge source add github --openapi https://example.com/openapi.json
  forge source add shop --graphql specs/shop.graphql
  forge source add memory --mcp-command "npx -y @modelcontextprotocol/server-memory"
  forge source add tools --mcp-url http://127.0.0.1:8080/mcp --allow-private-network`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := capability.ValidSourceName(opts.Name); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			cfg, err := f.LoadConfig(cmd)
			if err != nil {
				return err
			}
			opts.Config = cfg
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunAdd(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.OpenAPI, "openapi", "", "OpenAPI 3.x or Swagger 2.0 document (file or http(s) URL)")
	fl.StringVar(&opts.GraphQL, "graphql", "", "GraphQL SDL file, introspection JSON, or live endpoint URL")
	fl.StringVar(&opts.MCPCmd, "mcp-command", "", "command line that starts an MCP server on stdio")
	fl.StringVar(&opts.MCPURL, "mcp-url", "", "URL of an MCP server (streamable HTTP, falling back to SSE)")
	fl.BoolVar(&opts.ExtRefs, "allow-external-refs", false, "let an OpenAPI document load external $refs")
	fl.BoolVar(&opts.Private, "allow-private-network", false, "allow remote sources on loopback, private or link-local addresses")
	cmd.MarkFlagsMutuallyExclusive("openapi", "graphql", "mcp-command", "mcp-url")
	cmd.MarkFlagsOneRequired("openapi", "graphql", "mcp-command", "mcp-url")
	_ = cmd.MarkFlagFilename("openapi", "json", "yaml", "yml")
	_ = cmd.MarkFlagFilename("graphql", "graphql", "graphqls", "gql", "json")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// AddResult is the JSON output of `forge source add` (and of each source
// `forge source sync` writes).
type AddResult struct {
	Source       capability.SourceRecord `json:"source"`
	Capabilities int                     `json:"capabilities"`
	Effects      map[string]int          `json:"effects"`
	Warnings     []source.Warning        `json:"warnings"`
	Shadowing    []capability.Shadow     `json:"shadowing"`
}

// RunAdd imports the source and pins it.
func RunAdd(ctx context.Context, opts *AddOptions) error {
	spec, err := opts.Spec(opts.Config.Dir)
	if err != nil {
		return err
	}
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	if _, err := reg.Source(spec.Name); err == nil {
		return &cmdutil.InputError{Err: fmt.Errorf("source %q already exists; run `forge source sync %s` to re-read it, or `forge source remove %s` first", spec.Name, spec.Name, spec.Name)}
	}
	r := &reader{io: opts.IO, cfg: opts.Config, importers: opts.Importers}
	res, caps, err := r.read(ctx, spec)
	if err != nil {
		return err
	}
	shadows, err := shadowing(reg, spec.Name, caps)
	if err != nil {
		return err
	}
	rec := record(spec, res)
	if err := reg.Put(rec, caps); err != nil {
		return err
	}
	rec, _ = sourceRecord(reg, spec.Name)
	out := AddResult{Source: rec, Capabilities: len(caps), Effects: effectMap(caps), Warnings: cmdutil.NonNil(res.Warnings), Shadowing: cmdutil.NonNil(shadows)}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	printWarnings(opts.IO.ErrOut, spec.Name, res.Warnings, shadows)
	fmt.Fprintf(opts.IO.Out, "Added source %s (%s): %d capabilities (%s)\n", spec.Name, spec.Kind, len(caps), effectCounts(caps))
	return nil
}

func sourceRecord(reg *capability.Registry, name string) (capability.SourceRecord, error) {
	rec, err := reg.Source(name)
	if err != nil {
		return capability.SourceRecord{}, err
	}
	return *rec, nil
}

func effectMap(caps []capability.Capability) map[string]int {
	m := map[string]int{string(capability.EffectRead): 0, string(capability.EffectWrite): 0, string(capability.EffectDestructive): 0}
	for _, c := range caps {
		m[string(c.Effect)]++
	}
	return m
}
