package source

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

func testFactory(wd string) *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, WorkDir: wd}
	f.Config = func(flags *pflag.FlagSet) (*config.Config, error) { return config.Load(wd, "", flags) }
	return f
}

func TestAddFlags(t *testing.T) {
	wd := t.TempDir()
	for _, tc := range []struct {
		args    []string
		want    capability.SourceSpec
		wantErr string
	}{
		{args: []string{"pets", "--openapi", "specs/p.yaml"}, want: capability.SourceSpec{Name: "pets", Kind: capability.KindOpenAPI, Location: "specs/p.yaml"}},
		{args: []string{"pets", "--openapi", "https://x.example/o.json", "--allow-external-refs"}, want: capability.SourceSpec{Name: "pets", Kind: capability.KindOpenAPI, Location: "https://x.example/o.json", AllowExternalRefs: true}},
		{args: []string{"gql", "--graphql", "s.graphql"}, want: capability.SourceSpec{Name: "gql", Kind: capability.KindGraphQL, Location: "s.graphql"}},
		{args: []string{"m", "--mcp-command", "node server.js --stdio"}, want: capability.SourceSpec{Name: "m", Kind: capability.KindMCP, Command: "node server.js --stdio"}},
		{args: []string{"m", "--mcp-url", "http://127.0.0.1:9/mcp", "--allow-private-network"}, want: capability.SourceSpec{Name: "m", Kind: capability.KindMCP, Location: "http://127.0.0.1:9/mcp", AllowPrivateNetwork: true}},
		{args: []string{"m", "--mcp-url", "not-a-url"}, wantErr: "is not an http(s) URL"},
		{args: []string{"m", "--graphql", "s.graphql", "--allow-external-refs"}, wantErr: "--allow-external-refs applies only to --openapi"},
		{args: []string{"Bad", "--openapi", "x"}, wantErr: "invalid source name"},
		{args: []string{"a", "--openapi", "x", "--mcp-url", "http://h"}, wantErr: "none of the others can be"},
		{args: []string{"a"}, wantErr: "at least one of the flags"},
		{args: []string{"a", "--openapi", "x", "-o", "xml"}, wantErr: "invalid --output"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := testFactory(wd)
			var got *AddOptions
			cmd := NewCmdAdd(f, func(_ context.Context, o *AddOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tc.wantErr != "" {
				// Cobra-level mistakes fail Execute; the rest fail Spec.
				if err == nil {
					_, err = got.Spec(wd)
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			spec, err := got.Spec(wd)
			if err != nil {
				t.Fatal(err)
			}
			if spec != tc.want {
				t.Fatalf("spec = %+v, want %+v", spec, tc.want)
			}
		})
	}
}

func TestProjectPath(t *testing.T) {
	proj := filepath.FromSlash("/p")
	for _, tc := range []struct{ wd, in, want string }{
		{"/p", "specs/a.yaml", "specs/a.yaml"},
		{"/p/sub", "../specs/a.yaml", "specs/a.yaml"},
		{"/p/sub", "a.yaml", "sub/a.yaml"},
		{"/p", "/elsewhere/a.yaml", "../elsewhere/a.yaml"},
		{"/p", "https://e.example/a.yaml", "https://e.example/a.yaml"},
	} {
		if got := projectPath(filepath.FromSlash(tc.wd), proj, tc.in); got != tc.want {
			t.Errorf("projectPath(%q, %q) = %q, want %q", tc.wd, tc.in, got, tc.want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	if cmdutil.ExitCode(&cmdutil.FlagError{Err: errors.New("x")}) != cmdutil.ExitUsage {
		t.Fatal("flag error is not exit 2")
	}
	if cmdutil.ExitCode(&capability.NotFoundError{What: "source", Name: "x"}) != cmdutil.ExitUsage {
		t.Fatal("not found is not exit 2")
	}
	if cmdutil.ExitCode(errors.New("disk full")) != cmdutil.ExitFailure {
		t.Fatal("plain error is not exit 1")
	}
}
