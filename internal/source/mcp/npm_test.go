package mcp

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// npmServers is where testdata/mcp-servers/package.json installs the real
// MCP servers (`make deps` runs npm ci there).
var npmServers = filepath.Join("..", "..", "..", "testdata", "mcp-servers")

// npmServerCommand returns the command line that runs an npm MCP server
// package with node: the script named by the package's "bin", with args.
// Without node or the installed package the test is skipped, or fails
// when CI is set.
func npmServerCommand(t *testing.T, pkg string, args ...string) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := what + "; run `make deps` (npm ci in testdata/mcp-servers) to install the MCP test servers"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	dir, err := filepath.Abs(filepath.Join(npmServers, "node_modules", filepath.FromSlash(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		missing(pkg + " is not installed")
	}
	var meta struct {
		Bin json.RawMessage `json:"bin"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatalf("%s/package.json: %v", pkg, err)
	}
	// "bin" is a path or a map of command names to paths.
	var entry string
	if err := json.Unmarshal(meta.Bin, &entry); err != nil {
		var bins map[string]string
		if err := json.Unmarshal(meta.Bin, &bins); err != nil || len(bins) != 1 {
			t.Fatalf("%s/package.json: want one bin entry, got %s", pkg, meta.Bin)
		}
		for _, e := range bins {
			entry = e
		}
	}
	parts := []string{quote(node), quote(filepath.Join(dir, filepath.FromSlash(entry)))}
	for _, a := range args {
		parts = append(parts, quote(a))
	}
	cmd := parts[0]
	for _, p := range parts[1:] {
		cmd += " " + p
	}
	return cmd
}

func names(res *source.Result) []string {
	var out []string
	for _, c := range res.Capabilities {
		out = append(out, c.Name)
	}
	return out
}

func effects(res *source.Result) map[string]capability.Effect {
	out := map[string]capability.Effect{}
	for _, c := range res.Capabilities {
		out[c.Name] = c.Effect
	}
	return out
}

func TestNPMServerEverything(t *testing.T) {
	cmd := npmServerCommand(t, "@modelcontextprotocol/server-everything", "stdio")
	res := mustImport(t, Importer{}, source.Spec{Name: "everything", Kind: capability.KindMCP, Command: cmd}, source.Options{Dir: t.TempDir()})
	want := []string{
		"echo", "get-annotated-message", "get-env", "get-resource-links", "get-resource-reference",
		"get-structured-content", "get-sum", "get-tiny-image", "gzip-file-as-resource",
		"simulate-research-query", "toggle-simulated-logging", "toggle-subscriber-updates",
		"trigger-long-running-operation",
	}
	if got := names(res); !slices.Equal(got, want) {
		t.Errorf("tools\n got %q\nwant %q", got, want)
	}
	if res.Provenance["serverName"] != "mcp-servers/everything" || res.Provenance["protocolVersion"] == "" {
		t.Errorf("provenance %v", res.Provenance)
	}
	e := effects(res)
	if e["echo"] != capability.EffectRead || e["gzip-file-as-resource"] != capability.EffectWrite {
		t.Errorf("effects %v", e)
	}
	for _, c := range res.Capabilities {
		if err := c.Seal("everything"); err != nil {
			t.Errorf("seal %s: %v", c.Name, err)
		}
	}
}

func TestNPMServerMemory(t *testing.T) {
	cmd := npmServerCommand(t, "@modelcontextprotocol/server-memory")
	res := mustImport(t, Importer{}, source.Spec{Name: "memory", Kind: capability.KindMCP, Command: cmd}, source.Options{Dir: t.TempDir()})
	want := []string{
		"add_observations", "create_entities", "create_relations", "delete_entities",
		"delete_observations", "delete_relations", "open_nodes", "read_graph", "search_nodes",
	}
	if got := names(res); !slices.Equal(got, want) {
		t.Errorf("tools\n got %q\nwant %q", got, want)
	}
	if res.Provenance["serverName"] != "memory-server" {
		t.Errorf("provenance %v", res.Provenance)
	}
	wantEffects := map[string]capability.Effect{
		"add_observations": "write", "create_entities": "write", "create_relations": "write",
		"delete_entities": "destructive", "delete_observations": "destructive", "delete_relations": "destructive",
		"open_nodes": "read", "read_graph": "read", "search_nodes": "read",
	}
	if got := effects(res); !mapsEqual(got, wantEffects) {
		t.Errorf("effects\n got %v\nwant %v", got, wantEffects)
	}
}

func mapsEqual(a, b map[string]capability.Effect) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
