// Package token implements `forge token`: the short-lived build tokens
// (atk_…) that let a build session act for one subject.
package token

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/cli/remote"
	"github.com/forgehq/forge/internal/iostreams"
	"github.com/forgehq/forge/pkg/client"
)

// NewCmdToken returns `forge token` and its verbs.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token <command>",
		Short: "Mint, list and revoke build tokens",
		Long: `A build token (atk_…) lets a build session act for one subject (one of the
host's customers) with explicit permissions: build (push extensions), read
(read them) and manage (set secrets and config). It expires (1h by default,
at most 24h) and can be revoked; revocation takes effect on the next
request. Minting one needs a workspace API key.`,
		Example: `  forge token mint --subject cus_42 --permissions build,read --ttl 30m
  forge token list --subject cus_42
  forge token revoke 9c4d…`,
	}
	cmd.AddCommand(NewCmdMint(f, nil), NewCmdList(f, nil), NewCmdRevoke(f, nil))
	return cmd
}

// MintOptions are the inputs of `forge token mint`.
type MintOptions struct {
	IO          *iostreams.IOStreams
	Remote      func() (*remote.Conn, error)
	Subject     string
	Permissions []client.Permission
	TTL         time.Duration
	Output      string
}

// NewCmdMint returns `forge token mint`.
func NewCmdMint(f *cmdutil.Factory, runF func(context.Context, *MintOptions) error) *cobra.Command {
	opts := &MintOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	var perms []string
	cmd := &cobra.Command{
		Use:   "mint --subject S --permissions P[,P]",
		Short: "Mint a build token for one subject (shown once)",
		Example: `  forge token mint --subject cus_42 --permissions build,read
  forge token mint --subject cus_42 --permissions build,read,manage --ttl 2h -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if opts.Subject == "" {
				return cmdutil.FlagErrorf("--subject is required")
			}
			if len(perms) == 0 {
				return cmdutil.FlagErrorf("--permissions is required: one or more of build, read, manage")
			}
			opts.Permissions = nil
			for _, p := range perms {
				switch p := client.Permission(strings.TrimSpace(p)); p {
				case client.PermissionBuild, client.PermissionRead, client.PermissionManage:
					opts.Permissions = append(opts.Permissions, p)
				default:
					return cmdutil.FlagErrorf("invalid permission %q: want build, read or manage", p)
				}
			}
			if opts.TTL < 0 || opts.TTL > 24*time.Hour {
				return cmdutil.FlagErrorf("invalid --ttl %s: want above 0 and at most 24h", opts.TTL)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunMint(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Subject, "subject", "", "the subject (customer id) the token acts for")
	cmd.Flags().StringSliceVar(&perms, "permissions", nil, "comma-separated permissions: build, read, manage")
	cmd.Flags().DurationVar(&opts.TTL, "ttl", 0, "lifetime, at most 24h (default: the server's, 1h)")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunMint mints the token and prints it once.
func RunMint(ctx context.Context, opts *MintOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	req := client.CreateBuildTokenRequest{Subject: opts.Subject, Permissions: opts.Permissions}
	if opts.TTL > 0 {
		req.TTL = opts.TTL.String()
	}
	res, err := conn.CreateBuildToken(ctx, ws, req)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	fmt.Fprintln(opts.IO.Out, res.BuildToken)
	fmt.Fprintf(opts.IO.ErrOut, "Build token %s for %s (%s), expires %s. It is shown only now.\n",
		res.Token.ID, res.Token.Subject, joinPerms(res.Token.Permissions), remote.Time(&res.Token.ExpiresAt))
	return nil
}

// ListOptions are the inputs of `forge token list`.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Remote  func() (*remote.Conn, error)
	Subject string
	Output  string
}

// NewCmdList returns `forge token list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List build tokens, newest first (expired and revoked ones included)",
		Example: `  forge token list
  forge token list --subject cus_42 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunList(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Subject, "subject", "", "only this subject's tokens")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// RunList lists the tokens.
func RunList(ctx context.Context, opts *ListOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	toks, err := conn.ListBuildTokens(ctx, ws, opts.Subject)
	if err != nil {
		return remote.Explain(err)
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Tokens []client.BuildToken `json:"tokens"`
		}{cmdutil.NonNil(toks)})
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "ID\tSUBJECT\tPERMISSIONS\tCREATED\tEXPIRES\tREVOKED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Subject, joinPerms(t.Permissions), remote.Time(&t.CreatedAt), remote.Time(&t.ExpiresAt), remote.Time(t.RevokedAt))
	}
	return tw.Flush()
}

// RevokeOptions are the inputs of `forge token revoke`.
type RevokeOptions struct {
	IO     *iostreams.IOStreams
	Remote func() (*remote.Conn, error)
	ID     string
}

// NewCmdRevoke returns `forge token revoke`.
func NewCmdRevoke(f *cmdutil.Factory, runF func(context.Context, *RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IOStreams, Remote: remote.Connector(nil)}
	return &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a build token (effective on the next request)",
		Example: `  forge token revoke 9c4d…`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunRevoke(cmd.Context(), opts)
		},
	}
}

// RunRevoke revokes the token.
func RunRevoke(ctx context.Context, opts *RevokeOptions) error {
	conn, ws, err := remote.ConnectWorkspace(opts.Remote)
	if err != nil {
		return err
	}
	if err := conn.RevokeBuildToken(ctx, ws, opts.ID); err != nil {
		return remote.Explain(err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Revoked build token %s.\n", opts.ID)
	return nil
}

func joinPerms(ps []client.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}
