// Package iostreams holds the standard streams of a command, with terminal
// and colour detection. Commands write only through an IOStreams, never to
// os.Stdout directly, so tests can run them against buffers.
package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// IOStreams are the streams of one command invocation.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stderrTTY bool
	stdinTTY  bool
	color     bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	tty := func(f *os.File) bool { return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()) }
	s := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdoutTTY: tty(os.Stdout), stderrTTY: tty(os.Stderr), stdinTTY: tty(os.Stdin),
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	s.color = s.stdoutTTY && !noColor && os.Getenv("TERM") != "dumb"
	return s
}

// Test returns streams backed by buffers: stdin, stdout and stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// SetTTY sets the terminal flags (tests).
func (s *IOStreams) SetTTY(stdout, stderr bool) { s.stdoutTTY, s.stderrTTY = stdout, stderr }

// ColorEnabled reports whether output may use ANSI colours.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// Progress shows progress of long work on stderr, only when stderr is a
// terminal and only once the work has taken longer than a delay; when stderr
// is not a terminal it prints nothing at all. While shown, the line is
// redrawn with the elapsed time even when no new step is reported.
type Progress struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	last    string
	shown   bool
	done    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
}

// StartProgress begins progress reporting for a piece of work. It returns
// nil (on which every method is a no-op) when stderr is not a terminal.
func (s *IOStreams) StartProgress(msg string) *Progress {
	if !s.stderrTTY {
		return nil
	}
	return s.startProgress(msg, time.Second, 200*time.Millisecond)
}

func (s *IOStreams) startProgress(msg string, delay, every time.Duration) *Progress {
	p := &Progress{w: s.ErrOut, start: time.Now(), last: msg, done: make(chan struct{})}
	p.wg.Add(1)
	go p.loop(delay, every)
	return p
}

func (p *Progress) loop(delay, every time.Duration) {
	defer p.wg.Done()
	select {
	case <-p.done:
		return
	case <-time.After(delay):
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p.draw()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
}

func (p *Progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shown = true
	fmt.Fprintf(p.w, "\r\033[K%s (%.1fs)", p.last, time.Since(p.start).Seconds())
}

// Update sets the current step.
func (p *Progress) Update(msg string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.last = msg
	p.mu.Unlock()
}

// Stop clears the progress line. It is safe to call more than once.
func (p *Progress) Stop() {
	if p == nil {
		return
	}
	p.stopped.Do(func() {
		close(p.done)
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.shown {
			fmt.Fprint(p.w, "\r\033[K")
		}
	})
}
