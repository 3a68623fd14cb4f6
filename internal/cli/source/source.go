// Package source implements `forge source`: adding, listing, showing,
// syncing, diffing and removing the sources a registry is imported from.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/source"
)

// NewCmdSource returns `forge source` and its verbs.
func NewCmdSource(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "source <command>",
		Short: "Manage the sources capabilities are imported from",
		Long: `A source is one OpenAPI description, GraphQL schema or MCP server. Each of
its operations, Query/Mutation fields or tools becomes a capability, pinned in
the registry with a digest, so that any later change is visible as drift.`,
		Example: `  forge source add petstore --openapi specs/petstore.yaml
  forge source add shop --graphql https://shop.example.com/graphql
  forge source add notes --mcp-command "node server.js"
  forge source sync --check`,
	}
	cmd.AddCommand(
		NewCmdAdd(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
		NewCmdSync(f, nil),
		NewCmdDiff(f, nil),
		NewCmdRemove(f, nil),
	)
	return cmd
}

// errImportTimeout is the cause of an import context whose
// import.timeout expired.
var errImportTimeout = errors.New("import timed out")

// reader reads sources with the configured limits, showing progress on a
// terminal.
type reader struct {
	io        *iostreams.IOStreams
	cfg       *config.Config
	importers map[capability.Kind]source.Importer
}

// read imports spec and seals its capabilities. Nothing is written.
func (r *reader) read(ctx context.Context, spec source.Spec) (*source.Result, []capability.Capability, error) {
	imp, ok := r.importers[spec.Kind]
	if !ok {
		return nil, nil, &cmdutil.InputError{Err: fmt.Errorf("source %s: unknown kind %q", spec.Name, spec.Kind)}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, r.cfg.ImportTimeout, errImportTimeout)
	defer cancel()
	progress := r.io.StartProgress(fmt.Sprintf("Reading %s", spec.Name))
	defer progress.Stop()
	fetcher := source.NewFetcher(spec.AllowPrivateNetwork)
	fetcher.MaxBytes = r.cfg.MaxDocumentBytes
	fetcher.Timeout = r.cfg.ImportTimeout
	opts := source.Options{
		Dir:     r.cfg.Dir,
		Fetcher: fetcher,
		Progress: func(msg string) {
			progress.Update(spec.Name + ": " + msg)
		},
	}
	res, err := imp.Import(ctx, spec, opts)
	var ie *source.InputError
	if err != nil && !errors.As(err, &ie) && errors.Is(context.Cause(ctx), errImportTimeout) {
		// A source that does not answer in time is bad input (exit 2),
		// whichever importer noticed the deadline.
		return nil, nil, &source.InputError{
			File: spec.Origin(), Err: err,
			Msg:  fmt.Sprintf("timed out after %s", r.cfg.ImportTimeout),
			Hint: "check that the source answers; raise import.timeout in forge.yaml (or FORGE_IMPORT_TIMEOUT) for a slow one",
		}
	}
	if err != nil {
		return nil, nil, err
	}
	caps := res.Capabilities
	seen := make(map[string]bool, len(caps))
	for i := range caps {
		if !capability.ValidName(caps[i].Name) {
			return nil, nil, &source.InputError{File: spec.Origin(), Msg: fmt.Sprintf("invalid capability name %q", caps[i].Name)}
		}
		if err := caps[i].Seal(spec.Name); err != nil {
			return nil, nil, &source.InputError{File: spec.Origin(), Msg: err.Error()}
		}
		if seen[caps[i].ID] {
			return nil, nil, &source.InputError{File: spec.Origin(), Msg: fmt.Sprintf("two capabilities are named %q", caps[i].Name), Hint: "capability names must be unique within a source"}
		}
		seen[caps[i].ID] = true
	}
	return res, caps, nil
}

func record(spec source.Spec, res *source.Result) capability.SourceRecord {
	return capability.SourceRecord{SourceSpec: spec, Digest: res.Digest, Provenance: res.Provenance}
}

// shadowing loads the other sources of reg and reports possible tool
// shadowing involving the named source's fresh capabilities.
func shadowing(reg *capability.Registry, name string, fresh []capability.Capability) ([]capability.Shadow, error) {
	all := append([]capability.Capability(nil), fresh...)
	for _, s := range reg.Index.Sources {
		if s.Name == name {
			continue
		}
		caps, err := reg.Load(s.Name)
		if err != nil {
			return nil, err
		}
		all = append(all, caps...)
	}
	return capability.Shadowing(all, name), nil
}

func printWarnings(w io.Writer, name string, warns []source.Warning, shadows []capability.Shadow) {
	const maxShown = 20
	for i, wn := range warns {
		if i == maxShown {
			fmt.Fprintf(w, "warning: %s: ... and %d more warnings (see -o json)\n", name, len(warns)-maxShown)
			break
		}
		fmt.Fprintf(w, "warning: %s: %s\n", name, wn)
	}
	for _, s := range shadows {
		fmt.Fprintf(w, "warning: possible tool shadowing: %s\n", s.Message)
	}
}

// effectCounts summarises capabilities by effect.
func effectCounts(caps []capability.Capability) string {
	n := map[capability.Effect]int{}
	for _, c := range caps {
		n[c.Effect]++
	}
	return fmt.Sprintf("%d read, %d write, %d destructive", n[capability.EffectRead], n[capability.EffectWrite], n[capability.EffectDestructive])
}

// projectPath turns a path given on the command line (relative to the
// working directory) into one relative to the project directory, with
// forward slashes, so the registry is the same on every machine.
func projectPath(wd, projectDir, p string) string {
	if source.IsURL(p) || strings.Contains(p, "://") {
		return p
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(wd, p)
	}
	rel, err := filepath.Rel(projectDir, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

func printChanges(w io.Writer, changes []capability.Change) {
	for _, c := range changes {
		switch c.Kind {
		case capability.Added:
			fmt.Fprintf(w, "+ %s  added\n", c.ID)
		case capability.Removed:
			fmt.Fprintf(w, "- %s  removed\n", c.ID)
		default:
			fmt.Fprintf(w, "~ %s  changed: %s\n", c.ID, strings.Join(c.Fields, ", "))
		}
	}
}
