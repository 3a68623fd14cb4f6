package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/cli/gendocs"
	"github.com/forgehq/forge/internal/iostreams"
)

var update = flag.Bool("update", false, "rewrite docs/cli and completions/")

// TestGeneratedDocsInSync fails when the committed CLI reference or
// completion scripts differ from what the command tree generates. Run
// `make generate` (or this test with -update) to refresh them.
func TestGeneratedDocsInSync(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootCmd(NewFactory(ios))
	repo := filepath.Join("..", "..")
	if *update {
		if err := gendocs.Generate(root, gendocs.Options{CLIDir: filepath.Join(repo, "docs", "cli"), CompletionsDir: filepath.Join(repo, "completions")}); err != nil {
			t.Fatal(err)
		}
	}
	files, err := gendocs.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for name, want := range files {
		path := filepath.Join(repo, "docs", name)
		if strings.HasPrefix(name, "completions/") {
			path = filepath.Join(repo, name)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, name)
		}
	}
	committed, _ := filepath.Glob(filepath.Join(repo, "docs", "cli", "*.md"))
	for _, p := range committed {
		if _, ok := files["cli/"+filepath.Base(p)]; !ok {
			stale = append(stale, "cli/"+filepath.Base(p)+" (no such command)")
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Fatalf("generated files are out of date; run `make generate`:\n  %s", strings.Join(stale, "\n  "))
	}
	for _, shell := range []string{"forge.bash", "forge.zsh", "forge.fish", "forge.ps1"} {
		if len(files["completions/"+shell]) == 0 {
			t.Errorf("no %s completion", shell)
		}
	}
}

// TestEveryCommandHasHelpAndExamples keeps --help useful: every visible
// command has a short description, and every runnable one an example.
func TestEveryCommandHasHelpAndExamples(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootCmd(NewFactory(ios))
	stack := root.Commands()
	for len(stack) > 0 {
		c := stack[0]
		stack = append(stack[1:], c.Commands()...)
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.Parent().Name() == "completion" {
			continue
		}
		if c.Short == "" {
			t.Errorf("%s has no short description", c.CommandPath())
		}
		if c.Runnable() && c.Example == "" {
			t.Errorf("%s has no example", c.CommandPath())
		}
	}
}
