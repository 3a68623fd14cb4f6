// Package mcptest runs a real MCP server (github.com/mark3labs/mcp-go) that
// serves the tools of a JSON file shaped like a tools/list result
// ({"tools":[...]}), for tests of MCP clients such as forge's MCP importer.
//
// Each tool's inputSchema (and outputSchema) is served as written in the
// file; the rest of the tool goes through mcp-go's Tool type, the way a Go
// server built on mcp-go would send it. Tools are served sorted by name, in
// pages when a page size is set, and duplicates in the file are served as
// duplicates, so that invalid lists can be tested too.
//
// Serve a file over stdio, streamable HTTP or the legacy SSE transport:
//
//	err := mcptest.ServeStdio(ctx, "tools.json", os.Stdin, os.Stdout, mcptest.WithPageSize(10))
//	h, err := mcptest.StreamableHTTPHandler("tools.json")
//	h, err := mcptest.SSEHandler("tools.json")
//
// Main is the entry point of the mcp-test-server command, for end-to-end
// tests that need a stdio server:
//
//	mcp-test-server [--page-size N] [--hang] [--name NAME] [--server-version V] TOOLSFILE
package mcptest

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Default server identity, reported in the initialize result.
const (
	DefaultName    = "mcp-test-server"
	DefaultVersion = "1.0.0"
)

// Environment variables that Main reads as defaults for its flags.
const (
	EnvPageSize = "MCP_TEST_SERVER_PAGE_SIZE"
	EnvHang     = "MCP_TEST_SERVER_HANG"
)

type config struct {
	pageSize      int
	hang          bool
	name, version string
}

// Option configures a test server.
type Option func(*config)

// WithPageSize serves tools/list in pages of n tools (n <= 0: one page).
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithHang makes tools/list never answer: the request waits until it is
// cancelled or the connection ends. Initialize still answers.
func WithHang() Option { return func(c *config) { c.hang = true } }

// WithServerInfo sets the name and version the server reports.
func WithServerInfo(name, version string) Option {
	return func(c *config) { c.name, c.version = name, version }
}

// LoadTools reads a tools/list result file into mcp-go tools, in file
// order, keeping each inputSchema and outputSchema as raw JSON.
func LoadTools(path string) ([]mcp.Tool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTools(data)
}

// ParseTools is LoadTools on the bytes of a tools/list result.
func ParseTools(data []byte) ([]mcp.Tool, error) {
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("tools/list file: %w", err)
	}
	tools := make([]mcp.Tool, 0, len(list.Tools))
	for i, raw := range list.Tools {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("tools/list file: tool #%d is not a JSON object", i+1)
		}
		in, hasIn := fields["inputSchema"]
		out, hasOut := fields["outputSchema"]
		delete(fields, "inputSchema")
		delete(fields, "outputSchema")
		rest, err := json.Marshal(fields)
		if err != nil {
			return nil, err
		}
		var t mcp.Tool
		if err := json.Unmarshal(rest, &t); err != nil {
			return nil, fmt.Errorf("tools/list file: tool #%d: %w", i+1, err)
		}
		t.RawInputSchema = json.RawMessage(`{"type":"object"}`)
		if hasIn {
			t.RawInputSchema = in
		}
		if hasOut {
			t.RawOutputSchema = out
		}
		tools = append(tools, t)
	}
	return tools, nil
}

// NewServer returns an mcp-go server that serves the tools of toolsFile.
func NewServer(toolsFile string, opts ...Option) (*server.MCPServer, error) {
	tools, err := LoadTools(toolsFile)
	if err != nil {
		return nil, err
	}
	return NewServerFromTools(tools, opts...)
}

// NewServerFromTools returns an mcp-go server that serves tools.
func NewServerFromTools(tools []mcp.Tool, opts ...Option) (*server.MCPServer, error) {
	cfg := config{name: DefaultName, version: DefaultVersion}
	for _, o := range opts {
		o(&cfg)
	}
	listed := make([]mcp.Tool, len(tools))
	copy(listed, tools)
	sort.SliceStable(listed, func(i, j int) bool { return listed[i].Name < listed[j].Name })

	sopts := []server.ServerOption{
		server.WithToolCapabilities(false),
		// The filter decides what tools/list returns: the file's tools, in
		// name order, duplicates included (the registry below is a map).
		server.WithToolFilter(func(ctx context.Context, _ []mcp.Tool) []mcp.Tool {
			if cfg.hang {
				<-ctx.Done()
				return nil
			}
			return listed
		}),
	}
	if cfg.pageSize > 0 {
		sopts = append(sopts, server.WithPaginationLimit(cfg.pageSize))
	}
	s := server.NewMCPServer(cfg.name, cfg.version, sopts...)
	if err := addTools(s, tools); err != nil {
		return nil, err
	}
	return s, nil
}

// addTools registers the tools so that tools/call answers too; mcp-go
// panics on some invalid definitions, which becomes an error here.
func addTools(s *server.MCPServer, tools []mcp.Tool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mcp-go refused a tool: %v", r)
		}
	}()
	st := make([]server.ServerTool, 0, len(tools))
	for _, t := range tools {
		name := t.Name
		st = append(st, server.ServerTool{Tool: t, Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("mcptest: called " + name), nil
		}})
	}
	s.AddTools(st...)
	return nil
}

// ServeStdio serves the tools of toolsFile over stdio on in and out until
// in ends or ctx is cancelled.
func ServeStdio(ctx context.Context, toolsFile string, in io.Reader, out io.Writer, opts ...Option) error {
	s, err := NewServer(toolsFile, opts...)
	if err != nil {
		return err
	}
	return server.NewStdioServer(s).Listen(ctx, in, out)
}

// StreamableHTTPHandler returns an http.Handler serving the tools of
// toolsFile with the streamable HTTP transport, at any path.
func StreamableHTTPHandler(toolsFile string, opts ...Option) (http.Handler, error) {
	s, err := NewServer(toolsFile, opts...)
	if err != nil {
		return nil, err
	}
	return server.NewStreamableHTTPServer(s), nil
}

// SSEHandler returns an http.Handler serving the tools of toolsFile with the
// legacy HTTP+SSE transport: the event stream at /sse and the message
// endpoint at /message. It answers 404 to anything else, as a server that
// does not speak streamable HTTP does.
func SSEHandler(toolsFile string, opts ...Option) (http.Handler, error) {
	s, err := NewServer(toolsFile, opts...)
	if err != nil {
		return nil, err
	}
	return server.NewSSEServer(s, server.WithSSEEndpoint("/sse"), server.WithMessageEndpoint("/message"),
		server.WithUseFullURLForMessageEndpoint(false)), nil
}

// Main runs the mcp-test-server command with os.Args and the environment
// and returns its exit code:
//
//	mcp-test-server [--page-size N] [--hang] [--name NAME] [--server-version V] TOOLSFILE
//
// It serves TOOLSFILE on stdin/stdout until stdin ends. MCP_TEST_SERVER_PAGE_SIZE
// and MCP_TEST_SERVER_HANG (any non-empty value) set the defaults of
// --page-size and --hang. Problems are reported on stderr with exit code 1
// (2 for usage errors).
func Main() int {
	return run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

func run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	fs := flag.NewFlagSet(DefaultName, flag.ContinueOnError)
	fs.SetOutput(errOut)
	pageSize := 0
	if v := os.Getenv(EnvPageSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(errOut, "%s: %s=%q is not a number\n", DefaultName, EnvPageSize, v)
			return 2
		}
		pageSize = n
	}
	fs.IntVar(&pageSize, "page-size", pageSize, "serve tools/list in pages of `N` tools")
	hang := fs.Bool("hang", os.Getenv(EnvHang) != "", "never answer tools/list")
	name := fs.String("name", DefaultName, "server name to report")
	version := fs.String("server-version", DefaultVersion, "server version to report")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "usage: %s [--page-size N] [--hang] [--name NAME] [--server-version V] TOOLSFILE\n", DefaultName)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	file := fs.Arg(0)
	opts := []Option{WithPageSize(pageSize), WithServerInfo(*name, *version)}
	if *hang {
		opts = append(opts, WithHang())
	}
	tools, err := LoadTools(file)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", DefaultName, err)
		return 1
	}
	fmt.Fprintf(errOut, "%s: serving %d tools from %s\n", DefaultName, len(tools), file)
	s, err := NewServerFromTools(tools, opts...)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", DefaultName, err)
		return 1
	}
	if err := server.NewStdioServer(s).Listen(ctx, in, out); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(errOut, "%s: %v\n", DefaultName, err)
		return 1
	}
	return 0
}
