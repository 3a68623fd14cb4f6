// Package source defines how capabilities are imported from a host's API
// descriptions: the Spec that declares a source, the Importer interface
// implemented by the openapi, graphql and mcp sub-packages, and the typed
// errors and warnings they return.
//
// Importers never write anything: they read a source and return its
// capabilities (unsealed: Name, Kind, Effect, Description, InputSchema and
// Target set) together with a digest of what was read. The registry seals and
// stores them.
package source

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/forgehq/forge/internal/capability"
)

// Spec declares one source: its name, kind and where it is read from. It is
// recorded in the registry so that `forge source sync` can read it again.
type Spec = capability.SourceSpec

// Options carries what an importer needs besides the Spec.
type Options struct {
	// Dir is the directory relative file locations are resolved against.
	Dir string
	// Fetcher reads files and remote documents with the network guard.
	Fetcher *Fetcher
	// Progress, when non-nil, receives human-readable progress messages
	// ("parsing", "converting 120/969 operations").
	Progress func(msg string)
	// Stderr receives the stderr of MCP stdio servers (may be nil).
	Stderr io.Writer
}

// Progressf reports progress if a progress function is set.
func (o Options) Progressf(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Result is what an importer read.
type Result struct {
	// Capabilities are unsealed: the registry sets Source, ID and Digest.
	Capabilities []capability.Capability
	// Warnings are defects that did not prevent the import.
	Warnings []Warning
	// Digest is "sha256:<hex>" over the bytes that were read (for MCP, over
	// the canonical tools/list result).
	Digest string
	// Provenance describes where the capabilities came from, such as the
	// document title and version or the MCP server's name and version.
	Provenance map[string]string
}

// Importer reads one kind of source.
type Importer interface {
	Import(ctx context.Context, spec Spec, opts Options) (*Result, error)
}

// Warning is a defect in a usable source.
type Warning struct {
	// Code is a short stable identifier such as "openapi-validation".
	Code string `json:"code"`
	// Location is "file:line:col", a JSON pointer or a capability name.
	Location string `json:"location,omitempty"`
	Message  string `json:"message"`
}

func (w Warning) String() string {
	if w.Location != "" {
		return w.Location + ": " + w.Message
	}
	return w.Message
}

// InputError is a source that cannot be imported: a malformed or unsupported
// document, a dangling $ref, a server that fails to start. The CLI maps it to
// exit code 2.
type InputError struct {
	File string // the file, URL or command
	Line int    // 1-based, 0 when unknown
	Col  int    // 1-based, 0 when unknown
	Msg  string
	Hint string // what to do about it (optional)
	Err  error  // the underlying error (optional)
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("\n  hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string { return capability.DigestBytes(b) }

// LineCol converts a byte offset in data into a 1-based line and column.
func LineCol(data []byte, offset int64) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
