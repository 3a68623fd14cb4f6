// Package gobuild compiles a Go extension to a WebAssembly module with the
// Go toolchain: GOOS=wasip1 GOARCH=wasm, as a WASI reactor
// (-buildmode=c-shared), reproducibly (-trimpath, no VCS stamp, no build
// id), so the same source gives the same module.
package gobuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Error is a failed compilation, with the compiler's output.
type Error struct {
	Dir    string
	Output string
	Err    error
}

func (e *Error) Error() string {
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return fmt.Sprintf("go build in %s: %v", e.Dir, e.Err)
	}
	return fmt.Sprintf("go build in %s failed:\n%s", e.Dir, out)
}

func (e *Error) Unwrap() error { return e.Err }

// GoBinary returns the go command to use: $FORGE_GO, else "go" on PATH.
func GoBinary() (string, error) {
	if g := os.Getenv("FORGE_GO"); g != "" {
		return g, nil
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("the Go toolchain is needed to build Go extensions: install Go or set FORGE_GO, or point module.wasm at a prebuilt module")
	}
	return p, nil
}

// Version returns the toolchain's version ("go1.26.8").
func Version(ctx context.Context) (string, error) {
	g, err := GoBinary()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, g, "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("%s env GOVERSION: %w", g, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Build compiles the Go main package in dir and returns the module bytes.
func Build(ctx context.Context, dir string) ([]byte, error) {
	g, err := GoBinary()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "forge-build-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "module.wasm")
	cmd := exec.CommandContext(ctx, g, "build", "-trimpath", "-buildvcs=false", "-buildmode=c-shared", "-ldflags=-buildid=", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return nil, &Error{Dir: dir, Output: output.String(), Err: err}
	}
	return os.ReadFile(out)
}
