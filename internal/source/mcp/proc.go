package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

const (
	// stderrTailSize is how much of a server's stderr is kept for error
	// messages.
	stderrTailSize = 4 << 10
	// stopGrace is how long a server has to exit after its stdin is closed
	// and it is sent SIGTERM, before it is killed.
	stopGrace = 2 * time.Second
	// exitWait bounds how long an import waits for a server whose output
	// ended to exit, to report its exit status.
	exitWait = 2 * time.Second
)

// process is a started stdio server: its pipes, its stderr tail and its
// exit. The server runs in a process group of its own so that stop also ends
// the children it started.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File // our end of the server's stdin
	stdout *os.File // our end of the server's stdout
	tail   *tailBuffer
	cancel context.CancelFunc
	done   chan struct{} // closed when the server has exited and been reaped
	err    error         // cmd.Wait's result, set before done is closed
	once   sync.Once
}

// startProcess starts argv in dir. The server's stderr goes to a tail buffer
// and, when stderr is non-nil, to stderr as well.
func startProcess(argv []string, dir string, stderr io.Writer) (*process, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	p := &process{cmd: cmd, tail: &tailBuffer{max: stderrTailSize}, cancel: cancel, done: make(chan struct{})}
	cmd.Stderr = &teeWriter{tail: p.tail, copy: stderr}
	setProcessGroup(cmd)
	// Cancel (on stop) asks the whole group to terminate; WaitDelay then
	// bounds the wait before the server is killed and its stderr abandoned.
	cmd.Cancel = func() error { return signalGroup(cmd.Process, false) }
	cmd.WaitDelay = stopGrace

	inR, inW, err := os.Pipe()
	if err != nil {
		cancel()
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		cancel()
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	// The child has its own copies of these ends now (or failed to start).
	inR.Close()
	outW.Close()
	if err != nil {
		cancel()
		inW.Close()
		outR.Close()
		return nil, err
	}
	p.stdin, p.stdout = inW, outR
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the server has exited, waiting up to d for it.
func (p *process) exited(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// exitStatus describes how the server exited ("exit status 1"), or "" if
// it has not exited.
func (p *process) exitStatus() string {
	select {
	case <-p.done:
	default:
		return ""
	}
	if p.cmd.ProcessState != nil {
		return p.cmd.ProcessState.String()
	}
	if p.err != nil {
		return p.err.Error()
	}
	return "exited"
}

// stop ends the server: it closes the server's stdin, asks the process group
// to terminate, kills it after stopGrace, reaps the server, kills whatever is
// left of its group and closes our pipe ends. It is safe to call more than
// once.
func (p *process) stop() {
	p.once.Do(func() {
		p.stdin.Close()
		p.cancel() // SIGTERM to the group unless the server has exited
		<-p.done   // bounded by WaitDelay
		_ = signalGroup(p.cmd.Process, true)
		p.stdout.Close()
	})
}

// stderrTail returns the last lines the server wrote to stderr, indented for
// an error message, or "".
func (p *process) stderrTail() string {
	s := strings.TrimSpace(p.tail.String())
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	const maxLines = 20
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	for i, l := range lines {
		lines[i] = "    " + strings.TrimRight(l, "\r")
	}
	return "\n  server stderr (last lines):\n" + strings.Join(lines, "\n")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) > b.max {
		p = p[len(p)-b.max:]
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// teeWriter writes to the tail buffer and, best effort, to copy: a failing
// copy never stops the server's stderr from being drained.
type teeWriter struct {
	tail *tailBuffer
	copy io.Writer
	dead bool
}

func (w *teeWriter) Write(p []byte) (int, error) {
	_, _ = w.tail.Write(p) // a ring buffer; it cannot fail
	if w.copy != nil && !w.dead {
		if _, err := w.copy.Write(p); err != nil {
			w.dead = true
		}
	}
	return len(p), nil
}

// startError turns a failure to start argv into a message and a hint.
func startError(argv []string, err error) (msg, hint string) {
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Sprintf("cannot start the MCP server: command %q not found", argv[0]),
			"check the command line of the source: is the program installed and on PATH?"
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("cannot start the MCP server: %q does not exist", argv[0]),
			"check the path of the program (a relative path is resolved against the project directory)"
	case errors.Is(err, os.ErrPermission):
		return fmt.Sprintf("cannot start the MCP server: %q is not executable", argv[0]),
			"check the program's permissions"
	}
	return "cannot start the MCP server: " + err.Error(), "check the command line of the source"
}
