package ext

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// AddRemoteCommands adds the verbs that work on a Forge server: push,
// list, show, approve, reject, disable, enable, rollback and history.
func AddRemoteCommands(cmd *cobra.Command, f *cmdutil.Factory) {
	cmd.AddCommand(
		NewCmdPush(f, nil), NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdHistory(f, nil),
		NewCmdApprove(f, nil), NewCmdReject(f, nil), NewCmdDisable(f, nil), NewCmdEnable(f, nil),
		NewCmdRollback(f, nil),
	)
}

// RemoteOptions are the inputs of the server verbs of `forge ext`.
type RemoteOptions struct {
	IO      *iostreams.IOStreams
	Remote  func() (*remote.Conn, error)
	Subject string
	// Name is the extension name; Bundle the bundle directory (push).
	Name    string
	Bundle  string
	Version int64
	Reason  string
	Output  string
}

// verb describes one server verb: its command, how many arguments it
// takes (name, then version) and its run.
type verb struct {
	cmd     *cobra.Command
	args    []string // argument names, in order: "BUNDLE", "NAME", "VERSION"
	run     func(context.Context, *RemoteOptions) error
	setup   func(*cobra.Command, *RemoteOptions)
	checkFn func(*RemoteOptions) error
}

func newRemoteCmd(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error, v verb) *cobra.Command {
	opts := &RemoteOptions{IO: f.IOStreams, Remote: remote.Connector(nil), Output: cmdutil.FormatText}
	cmd := v.cmd
	cmd.Args = cobra.ExactArgs(len(v.args))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := cmdutil.CheckOutput(opts.Output); err != nil {
			return err
		}
		if opts.Subject == "" {
			return cmdutil.FlagErrorf("--subject is required")
		}
		for i, a := range v.args {
			switch a {
			case "BUNDLE":
				opts.Bundle = args[i]
			case "NAME":
				opts.Name = args[i]
			case "VERSION":
				n, err := strconv.ParseInt(args[i], 10, 64)
				if err != nil || n < 1 {
					return cmdutil.FlagErrorf("invalid version %q: want a version number (1, 2, …; see forge ext history)", args[i])
				}
				opts.Version = n
			}
		}
		if v.checkFn != nil {
			if err := v.checkFn(opts); err != nil {
				return err
			}
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return v.run(cmd.Context(), opts)
	}
	cmd.Flags().StringVar(&opts.Subject, "subject", "", "the subject (customer id) the extension belongs to")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	if v.setup != nil {
		v.setup(cmd, opts)
	}
	return cmd
}

// NewCmdPush returns `forge ext push`.
func NewCmdPush(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:   "push BUNDLE --subject S",
			Short: "Push a built extension to the server; it waits for approval",
			Long: `Push a bundle written by forge build (extension.yaml, module.wasm,
build.json and SHA256SUMS) for one subject. The server validates it again
against the workspace's registry and event types; the new version lands in
pending_approval and does nothing until it is approved. When validation
fails, the findings are printed with file:line:col and the exit code is 1.`,
			Example: `  forge build extensions/invoice-digest
  forge ext push dist/invoice-digest-1.0.0 --subject cus_42`,
		},
		args: []string{"BUNDLE"},
		run:  RunPush,
	})
}

// RunPush reads the bundle and pushes it.
func RunPush(ctx context.Context, opts *RemoteOptions) error {
	b, err := bundle.Read(opts.Bundle)
	if err != nil {
		return &cmdutil.InputError{Err: err}
	}
	rec, err := json.Marshal(b.Record)
	if err != nil {
		return err
	}
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	res, err := conn.PushExtension(ctx, ws, opts.Subject, client.PushExtensionRequest{Manifest: string(b.Manifest), Module: b.Module, Record: rec})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && len(apiErr.Diagnostics) > 0 {
		if opts.Output == cmdutil.FormatJSON {
			if werr := cmdutil.WriteJSON(opts.IO.Out, struct {
				Error *client.APIError `json:"error"`
			}{apiErr}); werr != nil {
				return werr
			}
		} else {
			printDiagnostics(opts.IO, apiErr.Diagnostics)
		}
		return fmt.Errorf("the server refused %s: %d validation findings", opts.Bundle, len(apiErr.Diagnostics))
	}
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		res.Diagnostics = cmdutil.NonNil(res.Diagnostics)
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	printDiagnostics(opts.IO, res.Diagnostics)
	fmt.Fprintf(opts.IO.Out, "Pushed %s version %d for %s: %s\n", res.Extension.Name, res.Version.Version, opts.Subject, res.Version.State)
	if res.Version.State == client.StatePendingApproval {
		fmt.Fprintf(opts.IO.ErrOut, "Review it, then: forge ext approve %s %d --subject %s\n", res.Extension.Name, res.Version.Version, opts.Subject)
	}
	return nil
}

func printDiagnostics(ios *iostreams.IOStreams, ds []client.Diagnostic) {
	for _, d := range ds {
		fmt.Fprintln(ios.ErrOut, d.String())
		if d.Hint != "" {
			fmt.Fprintf(ios.ErrOut, "  hint: %s\n", d.Hint)
		}
	}
}

// NewCmdList returns `forge ext list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:     "list --subject S",
			Aliases: []string{"ls"},
			Short:   "List a subject's extensions on the server",
			Example: `  forge ext list --subject cus_42
  forge ext list --subject cus_42 -o json`,
		},
		run: RunList,
	})
}

// RunList lists the subject's extensions.
func RunList(ctx context.Context, opts *RemoteOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	list, err := conn.ListExtensions(ctx, ws, opts.Subject)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Extensions []client.Extension `json:"extensions"`
		}{cmdutil.NonNil(list)})
	}
	if len(list) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No extensions for %s. Push one with: forge ext push BUNDLE --subject %s\n", opts.Subject, opts.Subject)
		return nil
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "NAME\tCURRENT\tSTATE\tLATEST\tUPDATED")
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", e.Name, versionOrDash(e.CurrentVersion), stateOrDash(e.CurrentState), e.LatestVersion, remote.Time(&e.UpdatedAt))
	}
	return tw.Flush()
}

// NewCmdShow returns `forge ext show`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:   "show NAME --subject S [--version N]",
			Short: "Show an extension, or one version with its manifest and build record",
			Example: `  forge ext show invoice-digest --subject cus_42
  forge ext show invoice-digest --subject cus_42 --version 3
  forge ext show invoice-digest --subject cus_42 --version 3 -o json`,
		},
		args: []string{"NAME"},
		run:  RunShow,
		setup: func(cmd *cobra.Command, o *RemoteOptions) {
			cmd.Flags().Int64Var(&o.Version, "version", 0, "show this version with its manifest and build record")
		},
		checkFn: func(o *RemoteOptions) error {
			if o.Version < 0 {
				return cmdutil.FlagErrorf("invalid --version %d", o.Version)
			}
			return nil
		},
	})
}

// RunShow shows the extension or one version.
func RunShow(ctx context.Context, opts *RemoteOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	if opts.Version > 0 {
		v, err := conn.GetVersion(ctx, ws, opts.Subject, opts.Name, opts.Version)
		if err != nil {
			return remote.Explain(err)
		}
		if opts.Output == cmdutil.FormatJSON {
			return cmdutil.WriteJSON(opts.IO.Out, v)
		}
		w := opts.IO.Out
		printVersion(w, &v.ExtensionVersion)
		fmt.Fprintf(w, "\nManifest:\n%s\n", v.Manifest)
		var rec any
		if json.Unmarshal(v.Record, &rec) == nil {
			fmt.Fprintln(w, "Build record:")
			return cmdutil.WriteJSON(w, rec)
		}
		return nil
	}
	e, err := conn.GetExtension(ctx, ws, opts.Subject, opts.Name)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, e)
	}
	fmt.Fprintf(opts.IO.Out, "Name:     %s\nSubject:  %s\nCurrent:  %s (%s)\nLatest:   %d\nCreated:  %s\nUpdated:  %s\n",
		e.Name, e.Subject, versionOrDash(e.CurrentVersion), stateOrDash(e.CurrentState), e.LatestVersion, remote.Time(&e.CreatedAt), remote.Time(&e.UpdatedAt))
	return nil
}

func printVersion(w interface{ Write([]byte) (int, error) }, v *client.ExtensionVersion) {
	fmt.Fprintf(w, "Version:  %d\nState:    %s\nModule:   %s (%d bytes)\nPushed:   %s by %s\n", v.Version, v.State, v.ModuleDigest, v.ModuleSize, remote.Time(&v.CreatedAt), v.CreatedBy)
	if v.ApprovedBy != "" {
		fmt.Fprintf(w, "Approved: %s by %s\n", remote.Time(v.ApprovedAt), v.ApprovedBy)
	}
	if v.RejectedBy != "" {
		fmt.Fprintf(w, "Rejected: %s by %s: %s\n", remote.Time(v.RejectedAt), v.RejectedBy, v.RejectReason)
	}
}

// NewCmdHistory returns `forge ext history`.
func NewCmdHistory(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:   "history NAME --subject S",
			Short: "List an extension's versions, oldest first",
			Example: `  forge ext history invoice-digest --subject cus_42
  forge ext history invoice-digest --subject cus_42 -o json`,
		},
		args: []string{"NAME"},
		run:  RunHistory,
	})
}

// RunHistory lists the versions.
func RunHistory(ctx context.Context, opts *RemoteOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	vs, err := conn.ListVersions(ctx, ws, opts.Subject, opts.Name)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Versions []client.ExtensionVersion `json:"versions"`
		}{cmdutil.NonNil(vs)})
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "VERSION\tSTATE\tPUSHED\tBY\tREVIEWED BY\tNOTE")
	for _, v := range vs {
		by, note := v.ApprovedBy, ""
		if v.RejectedBy != "" {
			by, note = v.RejectedBy, v.RejectReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.Version, v.State, remote.Time(&v.CreatedAt), v.CreatedBy, orDash(by), note)
	}
	return tw.Flush()
}

// NewCmdApprove returns `forge ext approve`.
func NewCmdApprove(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:   "approve NAME VERSION --subject S",
			Short: "Approve a pending version; it becomes the active one",
			Long: `Approve a version in pending_approval. It becomes the active version of the
extension (the one before it is superseded) and its triggers start firing.
Review it first with forge ext show NAME --version N. Needs a workspace API
key; the approval is an audit record.`,
			Example: `  forge ext show invoice-digest --subject cus_42 --version 3
  forge ext approve invoice-digest 3 --subject cus_42`,
		},
		args: []string{"NAME", "VERSION"},
		run: transition("Approved", func(ctx context.Context, c *remote.Conn, ws string, o *RemoteOptions) (*client.ExtensionVersion, error) {
			return c.ApproveVersion(ctx, ws, o.Subject, o.Name, o.Version)
		}),
	})
}

// NewCmdReject returns `forge ext reject`.
func NewCmdReject(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:     "reject NAME VERSION --subject S --reason R",
			Short:   "Reject a pending version",
			Example: `  forge ext reject invoice-digest 3 --subject cus_42 --reason "posts to the wrong channel"`,
		},
		args: []string{"NAME", "VERSION"},
		setup: func(cmd *cobra.Command, o *RemoteOptions) {
			cmd.Flags().StringVar(&o.Reason, "reason", "", "why (shown in the history; required)")
		},
		checkFn: func(o *RemoteOptions) error {
			if o.Reason == "" {
				return cmdutil.FlagErrorf("--reason is required")
			}
			return nil
		},
		run: transition("Rejected", func(ctx context.Context, c *remote.Conn, ws string, o *RemoteOptions) (*client.ExtensionVersion, error) {
			return c.RejectVersion(ctx, ws, o.Subject, o.Name, o.Version, o.Reason)
		}),
	})
}

// NewCmdDisable returns `forge ext disable`.
func NewCmdDisable(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:     "disable NAME --subject S",
			Short:   "Disable the active version: nothing runs until it is enabled",
			Example: `  forge ext disable invoice-digest --subject cus_42`,
		},
		args: []string{"NAME"},
		run: transition("Disabled", func(ctx context.Context, c *remote.Conn, ws string, o *RemoteOptions) (*client.ExtensionVersion, error) {
			return c.DisableExtension(ctx, ws, o.Subject, o.Name)
		}),
	})
}

// NewCmdEnable returns `forge ext enable`.
func NewCmdEnable(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:     "enable NAME --subject S",
			Short:   "Enable the disabled current version again",
			Example: `  forge ext enable invoice-digest --subject cus_42`,
		},
		args: []string{"NAME"},
		run: transition("Enabled", func(ctx context.Context, c *remote.Conn, ws string, o *RemoteOptions) (*client.ExtensionVersion, error) {
			return c.EnableExtension(ctx, ws, o.Subject, o.Name)
		}),
	})
}

// NewCmdRollback returns `forge ext rollback`.
func NewCmdRollback(f *cmdutil.Factory, runF func(context.Context, *RemoteOptions) error) *cobra.Command {
	return newRemoteCmd(f, runF, verb{
		cmd: &cobra.Command{
			Use:   "rollback NAME VERSION --subject S",
			Short: "Activate an older, previously approved version",
			Example: `  forge ext history invoice-digest --subject cus_42
  forge ext rollback invoice-digest 2 --subject cus_42`,
		},
		args: []string{"NAME", "VERSION"},
		run: transition("Rolled back to", func(ctx context.Context, c *remote.Conn, ws string, o *RemoteOptions) (*client.ExtensionVersion, error) {
			return c.RollbackExtension(ctx, ws, o.Subject, o.Name, o.Version)
		}),
	})
}

// transition is the run of a state change: call it, print the version.
func transition(done string, call func(context.Context, *remote.Conn, string, *RemoteOptions) (*client.ExtensionVersion, error)) func(context.Context, *RemoteOptions) error {
	return func(ctx context.Context, opts *RemoteOptions) error {
		conn, ws, err := remote.ConnectWorkspace(opts.Remote)
		if err != nil {
			return err
		}
		v, err := call(ctx, conn, ws, opts)
		if err != nil {
			return remote.Explain(err)
		}
		if opts.Output == cmdutil.FormatJSON {
			return cmdutil.WriteJSON(opts.IO.Out, v)
		}
		fmt.Fprintf(opts.IO.Out, "%s %s version %d for %s: %s\n", done, opts.Name, v.Version, opts.Subject, v.State)
		return nil
	}
}

func versionOrDash(v int64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

func stateOrDash(s client.VersionState) string { return orDash(string(s)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
