package remote_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/audit"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/ext"
	"github.com/forgehq/forge/internal/cli/login"
	"github.com/forgehq/forge/internal/cli/secret"
	"github.com/forgehq/forge/internal/cli/token"
	"github.com/forgehq/forge/internal/cli/workspace"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// parse runs cmd with args and returns the error; the runF hooks capture
// the options.
func parse(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func factory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios}
}

func TestExtFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     func(*cmdutil.Factory, func(context.Context, *ext.RemoteOptions) error) *cobra.Command
		args    []string
		want    ext.RemoteOptions
		wantErr string
	}{
		{"push", ext.NewCmdPush, []string{"dist/x-1.0.0", "--subject", "cus_1"}, ext.RemoteOptions{Bundle: "dist/x-1.0.0", Subject: "cus_1", Output: "text"}, ""},
		{"push no subject", ext.NewCmdPush, []string{"dist/x"}, ext.RemoteOptions{}, "--subject is required"},
		{"push no bundle", ext.NewCmdPush, []string{"--subject", "s"}, ext.RemoteOptions{}, "accepts 1 arg"},
		{"list json", ext.NewCmdList, []string{"--subject", "s", "-o", "json"}, ext.RemoteOptions{Subject: "s", Output: "json"}, ""},
		{"list bad output", ext.NewCmdList, []string{"--subject", "s", "-o", "xml"}, ext.RemoteOptions{}, "invalid --output"},
		{"show", ext.NewCmdShow, []string{"x", "--subject", "s", "--version", "3"}, ext.RemoteOptions{Name: "x", Subject: "s", Version: 3, Output: "text"}, ""},
		{"approve", ext.NewCmdApprove, []string{"x", "2", "--subject", "s"}, ext.RemoteOptions{Name: "x", Version: 2, Subject: "s", Output: "text"}, ""},
		{"approve bad version", ext.NewCmdApprove, []string{"x", "v2", "--subject", "s"}, ext.RemoteOptions{}, "invalid version"},
		{"approve zero", ext.NewCmdApprove, []string{"x", "0", "--subject", "s"}, ext.RemoteOptions{}, "invalid version"},
		{"reject", ext.NewCmdReject, []string{"x", "2", "--subject", "s", "--reason", "no"}, ext.RemoteOptions{Name: "x", Version: 2, Subject: "s", Reason: "no", Output: "text"}, ""},
		{"reject no reason", ext.NewCmdReject, []string{"x", "2", "--subject", "s"}, ext.RemoteOptions{}, "--reason is required"},
		{"disable", ext.NewCmdDisable, []string{"x", "--subject", "s"}, ext.RemoteOptions{Name: "x", Subject: "s", Output: "text"}, ""},
		{"enable", ext.NewCmdEnable, []string{"x", "--subject", "s"}, ext.RemoteOptions{Name: "x", Subject: "s", Output: "text"}, ""},
		{"rollback", ext.NewCmdRollback, []string{"x", "1", "--subject", "s"}, ext.RemoteOptions{Name: "x", Version: 1, Subject: "s", Output: "text"}, ""},
		{"history", ext.NewCmdHistory, []string{"x", "--subject", "s"}, ext.RemoteOptions{Name: "x", Subject: "s", Output: "text"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *ext.RemoteOptions
			err := parse(t, tc.cmd(factory(), func(_ context.Context, o *ext.RemoteOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Remote = nil, nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestTokenMintFlags(t *testing.T) {
	var got *token.MintOptions
	cmd := token.NewCmdMint(factory(), func(_ context.Context, o *token.MintOptions) error { got = o; return nil })
	if err := parse(t, cmd, "--subject", "cus_1", "--permissions", "build,read", "--ttl", "2h"); err != nil {
		t.Fatal(err)
	}
	if got.Subject != "cus_1" || got.TTL != 2*time.Hour || len(got.Permissions) != 2 || got.Permissions[1] != client.PermissionRead {
		t.Fatalf("options %+v", got)
	}
	for args, want := range map[string]string{
		"--permissions build":                           "--subject is required",
		"--subject s":                                   "--permissions is required",
		"--subject s --permissions root":                "invalid permission",
		"--subject s --permissions build --ttl 25h":     "invalid --ttl",
		"--subject s --permissions build --ttl forever": "invalid argument",
	} {
		err := parse(t, token.NewCmdMint(factory(), func(context.Context, *token.MintOptions) error { return nil }), strings.Fields(args)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

func TestSecretFlags(t *testing.T) {
	var got *secret.Options
	if err := parse(t, secret.NewCmdSet(factory(), func(_ context.Context, o *secret.Options) error { got = o; return nil }),
		"invoice-digest", "SLACK_TOKEN", "--subject", "cus_1"); err != nil {
		t.Fatal(err)
	}
	if got.Extension != "invoice-digest" || got.Name != "SLACK_TOKEN" || got.Subject != "cus_1" {
		t.Fatalf("options %+v", got)
	}
	// There is no flag that takes a value.
	if err := parse(t, secret.NewCmdSet(factory(), nil), "x", "N", "--subject", "s", "--value", "v"); err == nil || !strings.Contains(err.Error(), "unknown flag") {
		t.Fatalf("--value: %v", err)
	}
	if err := parse(t, secret.NewCmdRemove(factory(), nil), "x", "N"); err == nil || !strings.Contains(err.Error(), "--subject is required") {
		t.Fatalf("rm without --subject: %v", err)
	}
}

func TestAuditFlags(t *testing.T) {
	var got *audit.ListOptions
	if err := parse(t, audit.NewCmdList(factory(), func(_ context.Context, o *audit.ListOptions) error { got = o; return nil }), "--after", "7", "--limit", "20", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	if got.After != 7 || got.Limit != 20 || got.Output != "json" {
		t.Fatalf("options %+v", got)
	}
	for _, args := range [][]string{{"--limit", "0"}, {"--limit", "1001"}, {"--after", "-1"}} {
		err := parse(t, audit.NewCmdList(factory(), nil), args...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestLoginFlags(t *testing.T) {
	var got *login.LoginOptions
	if err := parse(t, login.NewCmdLogin(factory(), func(_ context.Context, o *login.LoginOptions) error { got = o; return nil }),
		"--server", "https://forge.example.com", "--workspace", "ws1", "--credential-stdin"); err != nil {
		t.Fatal(err)
	}
	if got.Server != "https://forge.example.com" || got.Workspace != "ws1" || !got.CredentialStdin {
		t.Fatalf("options %+v", got)
	}
	if err := parse(t, login.NewCmdLogin(factory(), nil)); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("login without --server: %v", err)
	}
	// A credential never goes on the command line (shell history, ps).
	noRun := func(context.Context, *login.LoginOptions) error { return nil }
	if err := parse(t, login.NewCmdLogin(factory(), noRun), "--server", "h", "--credential", "x"); err == nil || !strings.Contains(err.Error(), "unknown flag: --credential") {
		t.Fatalf("login --credential: %v, want an unknown flag error", err)
	}
}

func TestWorkspaceFlags(t *testing.T) {
	var got *workspace.CreateOptions
	if err := parse(t, workspace.NewCmdCreate(factory(), func(_ context.Context, o *workspace.CreateOptions) error { got = o; return nil }), "acme", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	if got.Name != "acme" || got.Output != "json" {
		t.Fatalf("options %+v", got)
	}
	var show *workspace.ShowOptions
	if err := parse(t, workspace.NewCmdShow(factory(), func(_ context.Context, o *workspace.ShowOptions) error { show = o; return nil }), "abc"); err != nil || show.ID != "abc" {
		t.Fatalf("show: %v %+v", err, show)
	}
}
