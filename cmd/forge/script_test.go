package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/forgehq/forge/internal/cli"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/internal/source/mcp/mcptest"
)

// TestMain lets the test binary act as the forge command (and as an MCP test
// server) inside testscript scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"forge": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], iostreams.System()))
		},
		"mcp-test-server": func() { os.Exit(mcptest.Main()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script. Set
// FORGE_UPDATE_SCRIPTS=1 to rewrite the expected output in the scripts.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	corpus := os.Getenv("FORGE_CORPUS")
	if corpus == "" {
		corpus = filepath.Join(root, "..", "shared", "corpus")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("FORGE_UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", filepath.Join(root, "testdata", "sample"))
			env.Setenv("CORPUS", corpus)
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, "home", ".config"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, "home", ".cache"))
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
