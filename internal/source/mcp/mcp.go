package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/forgehq/forge/internal/buildinfo"
	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/source"
)

// DefaultTimeout bounds a whole import (start, initialize and every
// tools/list page) when Importer.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxPages bounds how many tools/list pages an import follows.
const maxPages = 10000

// Transports, as reported in Result.Provenance["transport"].
const (
	TransportStdio          = "stdio"
	TransportStreamableHTTP = "streamable-http"
	TransportSSE            = "sse"
)

// errTimedOut is the cause of an import context whose timeout expired.
var errTimedOut = errors.New("MCP import timed out")

// Importer reads the tools of an MCP server. It implements source.Importer.
type Importer struct {
	// Timeout bounds the whole import; zero means DefaultTimeout.
	Timeout time.Duration
}

var _ source.Importer = Importer{}

func (im Importer) timeout() time.Duration {
	if im.Timeout > 0 {
		return im.Timeout
	}
	return DefaultTimeout
}

// Import starts or connects to the server named by spec (Command: stdio;
// Location: streamable HTTP, falling back to SSE), initializes, lists all
// tools and converts them to unsealed capabilities (see ConvertToolsList).
// Provenance holds serverName, serverVersion, protocolVersion and
// transport. Every failure to reach, start or understand the server is a
// *source.InputError naming the command or URL.
func (im Importer) Import(ctx context.Context, spec source.Spec, opts source.Options) (*source.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Origin(), err)
	}
	switch {
	case spec.Command != "" && spec.Location != "":
		return nil, &source.InputError{
			File: spec.Command, Msg: "an MCP source has both a command and a location",
			Hint: "give either a command (a stdio server) or a location (the http(s) URL of a server), not both",
		}
	case strings.TrimSpace(spec.Command) != "":
		return im.importStdio(ctx, spec, opts)
	case spec.Location != "":
		return im.importHTTP(ctx, spec, opts)
	}
	return nil, &source.InputError{
		File: spec.Name, Msg: "an MCP source needs a command or a location",
		Hint: "give the command line of a stdio server or the http(s) URL of a server",
	}
}

// session is one import's connection state, for progress and errors.
type session struct {
	origin    string
	target    capability.Target
	transport string
	timeout   time.Duration
	opts      source.Options
	stage     string // what the import is waiting for, for errors
}

func (im Importer) importStdio(ctx context.Context, spec source.Spec, opts source.Options) (*source.Result, error) {
	s := &session{
		origin:    spec.Command,
		target:    capability.Target{Transport: "stdio", Command: spec.Command},
		transport: TransportStdio,
		timeout:   im.timeout(),
		opts:      opts,
	}
	argv, err := splitCommand(spec.Command)
	if err != nil {
		return nil, &source.InputError{
			File: spec.Command, Msg: "invalid command line: " + err.Error(),
			Hint: "the command is split into words like a shell does (with quotes), but no shell runs it",
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimedOut)
	defer cancel()

	opts.Progressf("starting %s", spec.Command)
	s.stage = "start"
	p, err := startProcess(argv, opts.Dir, opts.Stderr)
	if err != nil {
		msg, hint := startError(argv, err)
		return nil, &source.InputError{File: spec.Command, Msg: msg, Hint: hint, Err: err}
	}
	defer p.stop()

	rec := &recorder{Interface: transport.NewIO(p.stdout, p.stdin, nil)}
	c := client.NewClient(rec)
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return nil, s.stdioError(ctx, p, err)
	}
	res, err := s.run(ctx, c, rec)
	if err != nil {
		return nil, s.stdioError(ctx, p, err)
	}
	return res, nil
}

// stdioError describes a failed stdio import, with the server's exit status
// and the tail of its stderr.
func (s *session) stdioError(ctx context.Context, p *process, err error) error {
	var ie *source.InputError
	if errors.As(err, &ie) {
		return err
	}
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTimedOut) {
		return fmt.Errorf("%s: %w", s.origin, ctx.Err())
	}
	ie = s.baseError(ctx, err)
	if ctx.Err() == nil && p.exited(exitWait) {
		ie.Msg = fmt.Sprintf("the MCP server exited (%s) before answering %s", p.exitStatus(), s.stage)
		ie.Hint = "run the command by hand to see why it stops; an MCP stdio server must keep running and answer JSON-RPC on stdout"
	}
	p.stop() // let the server's last words reach the tail
	ie.Msg += p.stderrTail()
	return ie
}

func (im Importer) importHTTP(ctx context.Context, spec source.Spec, opts source.Options) (*source.Result, error) {
	loc := spec.Location
	u, err := url.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &source.InputError{
			File: loc, Msg: "the location of an MCP server must be an http(s) URL",
			Hint: "give the URL of a streamable HTTP or SSE server, or use a command for a stdio server",
		}
	}
	f := source.NewFetcher(spec.AllowPrivateNetwork)
	if opts.Fetcher != nil {
		fc := *opts.Fetcher
		fc.AllowPrivate = fc.AllowPrivate || spec.AllowPrivateNetwork
		f = &fc
	}
	// The import's context bounds every request, including the long-lived
	// SSE stream, which a client-wide timeout would cut short.
	hc := *f.HTTPClient()
	hc.Timeout = 0

	s := &session{
		origin:    loc,
		target:    capability.Target{Transport: "http", URL: loc},
		transport: TransportStreamableHTTP,
		timeout:   im.timeout(),
		opts:      opts,
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimedOut)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)

	opts.Progressf("connecting to %s", loc)
	s.stage = "connect"
	st, err := transport.NewStreamableHTTP(loc, transport.WithHTTPBasicClient(&hc), transport.WithHTTPLogger(quiet))
	if err != nil {
		return nil, s.httpError(ctx, f, err)
	}
	res, err := s.connect(ctx, httpRecorder{&recorder{Interface: st}})
	if err == nil {
		return res, nil
	}
	if !errors.Is(err, transport.ErrLegacySSEServer) || ctx.Err() != nil {
		return nil, s.httpError(ctx, f, err)
	}

	opts.Progressf("%s does not speak streamable HTTP; trying the SSE transport", loc)
	s.transport = TransportSSE
	s.stage = "connect"
	sse, err := transport.NewSSE(loc, transport.WithHTTPClient(&hc), transport.WithSSELogger(quiet))
	if err != nil {
		return nil, s.httpError(ctx, f, err)
	}
	res, err = s.connect(ctx, httpRecorder{&recorder{Interface: sse}})
	if err != nil {
		return nil, s.httpError(ctx, f, err)
	}
	return res, nil
}

// connect starts an HTTP transport and runs the import over it.
func (s *session) connect(ctx context.Context, rec httpRecorder) (*source.Result, error) {
	c := client.NewClient(rec)
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return s.run(ctx, c, rec.recorder)
}

// httpError describes a failed HTTP import.
func (s *session) httpError(ctx context.Context, f *source.Fetcher, err error) error {
	var ie *source.InputError
	if errors.As(err, &ie) {
		return err
	}
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTimedOut) {
		return fmt.Errorf("%s: %w", s.origin, ctx.Err())
	}
	if errors.Is(err, egress.ErrForbiddenAddress) {
		return f.NetError(s.origin, err)
	}
	ie = s.baseError(ctx, err)
	if s.transport == TransportSSE && !errors.Is(context.Cause(ctx), errTimedOut) {
		ie.Msg = "the server does not speak streamable HTTP (it refused the initialize POST), and the SSE transport failed too: " + ie.Msg
		ie.Hint = "check the URL: it must be the MCP endpoint itself (often ending in /mcp, or /sse for SSE servers)"
	}
	return ie
}

// baseError is the common description of a failure at the current stage.
func (s *session) baseError(ctx context.Context, err error) *source.InputError {
	if errors.Is(context.Cause(ctx), errTimedOut) {
		return &source.InputError{
			File: s.origin, Err: err,
			Msg:  fmt.Sprintf("the MCP server did not answer %s within %s", s.stage, s.timeout),
			Hint: "check that the server starts and answers MCP requests; a slow server needs a longer timeout",
		}
	}
	return &source.InputError{
		File: s.origin, Err: err,
		Msg:  fmt.Sprintf("%s failed: %v", s.stage, err),
		Hint: "check that the command or URL names an MCP server",
	}
}

// run initializes the connection, lists all tools and converts them.
func (s *session) run(ctx context.Context, c *client.Client, rec *recorder) (*source.Result, error) {
	s.stage = "initialize"
	s.opts.Progressf("initializing")
	init, err := c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
		ClientInfo: mcpgo.Implementation{Name: "forge", Version: clientVersion()},
	}})
	if err != nil {
		return nil, err
	}
	tools, err := listAll(ctx, s.origin, func(ctx context.Context, page int, cursor string) (json.RawMessage, error) {
		s.stage = fmt.Sprintf("tools/list (page %d)", page)
		s.opts.Progressf("listing tools (page %d)", page)
		var req mcpgo.ListToolsRequest
		req.Params.Cursor = mcpgo.Cursor(cursor)
		_, err := c.ListToolsByPage(ctx, req)
		// The raw result is what counts: the typed one may fail to decode
		// a tool that the conversion reports better.
		if raw := rec.take(); raw != nil {
			return raw, nil
		}
		if err == nil {
			err = errors.New("no result")
		}
		return nil, err
	})
	if err != nil {
		return nil, err
	}
	res, err := convertTools(tools, s.origin, s.target)
	if err != nil {
		return nil, err
	}
	res.Provenance = map[string]string{
		"serverName":      init.ServerInfo.Name,
		"serverVersion":   init.ServerInfo.Version,
		"protocolVersion": init.ProtocolVersion,
		"transport":       s.transport,
	}
	return res, nil
}

// listAll follows tools/list pages until one has no nextCursor. A cursor
// seen before, or more than maxPages pages, is an error.
func listAll(ctx context.Context, origin string, fetch func(ctx context.Context, page int, cursor string) (json.RawMessage, error)) ([]json.RawMessage, error) {
	var all []json.RawMessage
	seen := map[string]int{}
	cursor := ""
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, &source.InputError{
				File: origin, Msg: fmt.Sprintf("tools/list did not end after %d pages", maxPages),
				Hint: "the server's pagination never ends; fix its nextCursor",
			}
		}
		raw, err := fetch(ctx, page, cursor)
		if err != nil {
			return nil, err
		}
		tools, next, err := parsePage(raw, origin)
		if err != nil {
			var ie *source.InputError
			if page > 1 && errors.As(err, &ie) {
				ie.Msg = fmt.Sprintf("page %d: %s", page, ie.Msg)
			}
			return nil, err
		}
		all = append(all, tools...)
		if next == "" {
			return all, nil
		}
		if first, dup := seen[next]; dup {
			return nil, &source.InputError{
				File: origin,
				Msg:  fmt.Sprintf("tools/list page %d returned the cursor %q again (first on page %d): the pagination loops", page, next, first),
				Hint: "the server's nextCursor must move forward; fix its pagination",
			}
		}
		seen[next] = page
		cursor = next
	}
}

func clientVersion() string {
	if v := buildinfo.Get().Version; v != "" {
		return v
	}
	return "dev"
}
