// Package mcp imports the tools of an MCP (Model Context Protocol) server as
// capabilities. It implements source.Importer with github.com/mark3labs/mcp-go
// as the client.
//
// A source with a Command is a stdio server: the command line is split into
// words like a POSIX shell splits them (quotes and backslashes work; nothing
// is expanded and no shell runs), and the program is started in
// Options.Dir in a process group of its own. Its stderr is copied to
// Options.Stderr and its last lines are kept for error messages. When the
// import ends, for whatever reason, the server's stdin is closed, its group
// is sent SIGTERM and then SIGKILL, and it is reaped: no server outlives an
// import.
//
// A source with a Location is an HTTP server: streamable HTTP first and,
// when the server refuses the initialize POST with a 4xx status (as servers
// that only speak the legacy transport do), HTTP+SSE at the same URL. All
// HTTP goes through the guarded client of the source.Fetcher, so loopback,
// private and link-local addresses are refused unless the source allows
// them (--allow-private-network).
//
// The import initializes the connection, then follows tools/list through
// all its pages (a repeated cursor is an error), all within
// Importer.Timeout (DefaultTimeout when zero); a server that does not answer
// in time gives an error naming the command or URL, the step it hung at and
// the timeout.
//
// # From tools to capabilities
//
// Every tool becomes one unsealed capability of kind "mcp" (see
// ConvertToolsList, which does the conversion on a raw tools/list result):
//
//   - Name is the tool name, or capability.SanitizeName of it with a warning
//     when the name is not a valid capability name; Target.Tool keeps the
//     name the server uses.
//   - Description is the tool's description, preceded by its title (the
//     tool's title, else annotations.title) when it has one.
//   - InputSchema is the inputSchema exactly as the server sent it. It must
//     be a JSON object; a missing one is taken as {"type":"object"} with a
//     warning.
//   - Target is {Transport: "stdio", Command} or {Transport: "http", URL}.
//   - Effect follows the tool's annotations with the defaults of the MCP
//     specification, where an absent destructiveHint means true:
//     readOnlyHint true gives "read"; otherwise destructiveHint explicitly
//     false gives "write"; otherwise the tool is "destructive". A hint that
//     is not a JSON boolean counts as absent (with a warning), so an
//     unannotated tool is treated as the most dangerous kind.
//
// A tool without a name, two tools with the same name (or names that
// sanitize to the same capability name), and an inputSchema that is not a
// JSON object make the whole import fail with a *source.InputError. A server
// without tools gives a warning.
//
// Result.Digest is source.Digest over the canonical tools list
// {"tools":[...]}: the tools as the server sent them, sorted by name, each
// re-encoded with capability.CanonicalJSON, so that any change to a tool
// (description, schema, annotations) changes it. Result.Provenance holds
// serverName, serverVersion and protocolVersion from the initialize result,
// and the transport used ("stdio", "streamable-http" or "sse").
//
// The mcptest sub-package serves tools from a file with a real mcp-go
// server, for tests.
package mcp
