package mcp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/source"
)

// corpusFile is the real tools/list result of GitHub's MCP server.
var corpusFile = filepath.Join("..", "..", "..", "..", "shared", "corpus", "mcp", "github-mcp-server.tools-list.json")

// corpusCount is the number of tools in corpusFile.
const corpusCount = 117

// quote quotes s for splitCommand.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// testServerCommand is the command line that runs mcptest's stdio server
// (the test binary itself, see TestMain) with args.
func testServerCommand(args ...string) string {
	parts := []string{quote(os.Args[0]), serveArg}
	for _, a := range args {
		parts = append(parts, quote(a))
	}
	return strings.Join(parts, " ")
}

// serveHTTP serves h on 127.0.0.1 for the duration of the test.
func serveHTTP(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// progressLog collects progress messages.
type progressLog struct {
	mu   sync.Mutex
	msgs []string
}

func (p *progressLog) add(m string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, m)
}

func (p *progressLog) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.msgs, "\n")
}

// lockedBuffer is a goroutine-safe strings.Builder.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// mustImport imports spec and fails the test on error.
func mustImport(t *testing.T, im Importer, spec source.Spec, opts source.Options) *source.Result {
	t.Helper()
	res, err := im.Import(context.Background(), spec, opts)
	if err != nil {
		t.Fatalf("import %s: %v", spec.Origin(), err)
	}
	return res
}

// inputError imports spec, expects an *source.InputError and returns it.
func inputError(t *testing.T, im Importer, spec source.Spec, opts source.Options) *source.InputError {
	t.Helper()
	res, err := im.Import(context.Background(), spec, opts)
	if err == nil {
		t.Fatalf("import %s: got %d capabilities, want an error", spec.Origin(), len(res.Capabilities))
	}
	var ie *source.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("import %s: error %T %v, want *source.InputError", spec.Origin(), err, err)
	}
	return ie
}

// writeFile writes data to a new file in a temporary directory.
func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
