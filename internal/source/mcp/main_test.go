package mcp

import (
	"os"
	"testing"

	"github.com/forgehq/forge/internal/source/mcp/mcptest"
)

// serveArg as the first argument makes the test binary run mcptest's stdio
// server instead of the tests, so that tests can start a real Go MCP server
// as a subprocess without building one (see testServerCommand).
const serveArg = "mcp-test-server"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveArg {
		os.Args = os.Args[1:]
		os.Exit(mcptest.Main())
	}
	os.Exit(m.Run())
}
