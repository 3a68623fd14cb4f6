//go:build !unix

package mcp

import (
	"errors"
	"os"
	"os/exec"
)

// setProcessGroup does nothing where process groups are not available.
func setProcessGroup(*exec.Cmd) {}

// signalGroup kills the server itself where process groups and SIGTERM are
// not available.
func signalGroup(p *os.Process, _ bool) error {
	if p == nil {
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
