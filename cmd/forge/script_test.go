package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/forgehq/forge/internal/capability"
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
	goenv := goEnv(t, "GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT")
	corpus := os.Getenv("FORGE_CORPUS")
	if corpus == "" {
		corpus = filepath.Join(root, "..", "shared", "corpus")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("FORGE_UPDATE_SCRIPTS") != "",
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"pin": cmdPin, "exitcode": cmdExitCode},
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", filepath.Join(root, "testdata", "sample"))
			env.Setenv("DEMO", filepath.Join(root, "testdata", "demo"))
			env.Setenv("CORPUS", corpus)
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, "home", ".config"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, "home", ".cache"))
			env.Setenv("NO_COLOR", "1")
			// Scripts that build extensions use the real Go caches (a cold
			// wasip1 standard library takes minutes) and never the network.
			for k, v := range goenv {
				env.Setenv(k, v)
			}
			env.Setenv("GOPROXY", "off")
			env.Setenv("GOFLAGS", "-mod=mod")
			env.Setenv("GOTOOLCHAIN", "local")
			return nil
		},
	})
}

// goEnv reads Go environment values from the go command.
func goEnv(t *testing.T, keys ...string) map[string]string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", append([]string{"env"}, keys...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	m := map[string]string{}
	for i, k := range keys {
		if i < len(lines) && lines[i] != "" {
			m[k] = lines[i]
		}
	}
	return m
}

// cmdExitCode implements the script command `exitcode N PROG ARGS...`: it
// runs PROG like exec (stdout and stderr are checked as after exec) and
// fails unless PROG exits with status N. `! exec` accepts any non-zero
// status; the exit codes are a contract (docs/exit-codes.md).
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdPin implements the script command `pin FILE ID`: it replaces the word
// DIGEST in FILE with the digest the registry in $WORK/registry pins for
// capability ID, as an author copies it from `forge capability show`.
func cmdPin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: pin FILE ID")
	}
	reg, err := capability.Open(ts.MkAbs("registry"))
	ts.Check(err)
	c, err := reg.Get(args[1])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if !strings.Contains(string(data), "DIGEST") {
		ts.Fatalf("%s has no DIGEST to replace", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.ReplaceAll(string(data), "DIGEST", c.Digest)), 0o644))
}
