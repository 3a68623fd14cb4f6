package mcptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseToolsKeepsRawSchemas(t *testing.T) {
	tools, err := ParseTools([]byte(`{"tools":[
		{"name":"b","inputSchema":{"type":"object","x-custom":[1.50]},"outputSchema":{"type":"object","properties":{}},"annotations":{"readOnlyHint":true}},
		{"name":"a","inputSchema":"not a schema"},
		{"name":"c"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 3 || tools[0].Name != "b" || tools[1].Name != "a" {
		t.Fatalf("tools %+v", tools)
	}
	out, err := json.Marshal(tools[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"inputSchema":{"type":"object","x-custom":[1.50]}`, `"readOnlyHint":true`, `"outputSchema":{"type":"object","properties":{}}`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
	if string(tools[1].RawInputSchema) != `"not a schema"` || string(tools[2].RawInputSchema) != `{"type":"object"}` {
		t.Errorf("schemas %s %s", tools[1].RawInputSchema, tools[2].RawInputSchema)
	}
	if _, err := ParseTools([]byte(`{"tools":[1]}`)); err == nil || !strings.Contains(err.Error(), "tool #1 is not a JSON object") {
		t.Errorf("error %v", err)
	}
}

func TestRunUsage(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), nil, strings.NewReader(""), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: mcp-test-server") {
		t.Errorf("no file: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	missing := filepath.Join(t.TempDir(), "missing.json")
	if code := run(context.Background(), []string{missing}, strings.NewReader(""), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "missing.json") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr.String())
	}
}

func TestRunServesStdio(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tools.json")
	if err := os.WriteFile(file, []byte(`{"tools":[{"name":"t2","inputSchema":{"type":"object"}},{"name":"t1","inputSchema":{"type":"object"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`,
	}, "\n") + "\n"
	var out, stderr bytes.Buffer
	// stdin ends after the requests, which ends the server; answers to
	// requests still in flight are written before it returns.
	code := run(context.Background(), []string{"--page-size", "1", "--name", "n", file}, strings.NewReader(in), &out, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{`"name":"n"`, `"tools":[{`, `"name":"t1"`, `"nextCursor":"dDE="`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), `"name":"t2"`) {
		t.Errorf("page size 1 served t2 on the first page:\n%s", out.String())
	}
}
