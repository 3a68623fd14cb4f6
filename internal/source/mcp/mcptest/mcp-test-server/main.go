// Command mcp-test-server serves the tools of a tools/list JSON file over
// stdio with a real MCP server. It is used by benchmarks and for trying
// forge by hand: mcp-test-server [--page-size N] [--hang] TOOLSFILE.
package main

import (
	"os"

	"github.com/forgehq/forge/internal/source/mcp/mcptest"
)

func main() { os.Exit(mcptest.Main()) }
