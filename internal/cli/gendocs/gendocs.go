// Package gendocs implements the hidden `forge gen-docs` command, which
// writes the CLI reference (Markdown, and man pages on request) and the
// shell completion scripts from the command tree. A test keeps the
// committed copies in sync.
package gendocs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/forgehq/forge/internal/atomicfile"
	"github.com/forgehq/forge/internal/cli/cmdutil"
)

// Options are the inputs of `forge gen-docs`.
type Options struct {
	CLIDir         string
	CompletionsDir string
	ManDir         string
}

// NewCmdGenDocs returns the hidden gen-docs command.
func NewCmdGenDocs(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:    "gen-docs",
		Short:  "Generate the CLI reference and shell completions",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base := f.WorkDir
			abs := func(p string) string {
				if p == "" || filepath.IsAbs(p) {
					return p
				}
				return filepath.Join(base, p)
			}
			o := Options{CLIDir: abs(opts.CLIDir), CompletionsDir: abs(opts.CompletionsDir), ManDir: abs(opts.ManDir)}
			if err := Generate(cmd.Root(), o); err != nil {
				return err
			}
			fmt.Fprintln(f.IOStreams.Out, "Generated CLI reference and completions")
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.CLIDir, "cli-dir", "docs/cli", "directory for the Markdown CLI reference (empty to skip)")
	cmd.Flags().StringVar(&opts.CompletionsDir, "completions-dir", "completions", "directory for shell completion scripts (empty to skip)")
	cmd.Flags().StringVar(&opts.ManDir, "man", "", "directory for man pages (skipped when empty)")
	return cmd
}

// Files renders every generated file in memory: paths relative to the CLI
// reference directory ("cli/...") or the completions directory
// ("completions/...").
func Files(root *cobra.Command) (map[string][]byte, error) {
	root.DisableAutoGenTag = true
	// Cobra adds these lazily on Execute; add them now so the reference
	// is the same whether or not the tree has run.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	out := map[string][]byte{}
	tmp, err := os.MkdirTemp("", "forge-gendocs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := doc.GenMarkdownTreeCustom(root, tmp, func(string) string { return "" }, func(name string) string {
		return strings.TrimSuffix(name, ".md") + ".md"
	}); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			return nil, err
		}
		out["cli/"+e.Name()] = b
	}
	gens := map[string]func(*bytes.Buffer) error{
		"forge.bash": func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) },
		"forge.zsh":  func(b *bytes.Buffer) error { return root.GenZshCompletion(b) },
		"forge.fish": func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) },
		"forge.ps1":  func(b *bytes.Buffer) error { return root.GenPowerShellCompletionWithDesc(b) },
	}
	for name, gen := range gens {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return nil, err
		}
		out["completions/"+name] = b.Bytes()
	}
	return out, nil
}

// Generate writes the files into the directories of opts, removing stale
// Markdown pages of commands that no longer exist.
func Generate(root *cobra.Command, opts Options) error {
	files, err := Files(root)
	if err != nil {
		return err
	}
	dirs := map[string]string{"cli/": opts.CLIDir, "completions/": opts.CompletionsDir}
	for prefix, dir := range dirs {
		if dir == "" {
			continue
		}
		if prefix == "cli/" {
			old, _ := filepath.Glob(filepath.Join(dir, "forge*.md"))
			for _, p := range old {
				if _, ok := files["cli/"+filepath.Base(p)]; !ok {
					if err := os.Remove(p); err != nil {
						return err
					}
				}
			}
		}
		for name, data := range files {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				if err := atomicfile.Write(filepath.Join(dir, rest), data, 0o644); err != nil {
					return err
				}
			}
		}
	}
	if opts.ManDir != "" {
		if err := os.MkdirAll(opts.ManDir, 0o755); err != nil {
			return err
		}
		hdr := &doc.GenManHeader{Title: "FORGE", Section: "1", Source: "Forge", Manual: "Forge Manual"}
		if err := doc.GenManTree(root, hdr, opts.ManDir); err != nil {
			return err
		}
	}
	return nil
}
