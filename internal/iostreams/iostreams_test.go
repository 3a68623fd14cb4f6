package iostreams

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// signalWriter records writes and signals each one.
type signalWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetTTY(false, false)
	p := ios.StartProgress("Reading big")
	p.Update("still reading")
	p.Stop()
	if errOut.Len() != 0 {
		t.Fatalf("progress written to a non-terminal: %q", errOut.String())
	}
}

func TestProgressRedrawsAndClears(t *testing.T) {
	w := &signalWriter{wrote: make(chan struct{}, 1)}
	ios := &IOStreams{ErrOut: w, stderrTTY: true}
	p := ios.startProgress("Reading github", 0, time.Millisecond)
	select {
	case <-w.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("no progress drawn")
	}
	p.Update("github: converting 969 operations")
	deadline := time.After(5 * time.Second)
	for !strings.Contains(w.String(), "converting 969 operations") {
		select {
		case <-w.wrote:
		case <-deadline:
			t.Fatalf("update never drawn: %q", w.String())
		}
	}
	p.Stop()
	p.Stop() // idempotent
	out := w.String()
	if !strings.Contains(out, "Reading github (") || !strings.HasSuffix(out, "\r\033[K") {
		t.Fatalf("unexpected progress output %q", out)
	}
}

func TestProgressQuietForShortWork(t *testing.T) {
	w := &signalWriter{wrote: make(chan struct{}, 1)}
	ios := &IOStreams{ErrOut: w, stderrTTY: true}
	p := ios.startProgress("quick", time.Hour, time.Millisecond)
	p.Stop()
	if w.String() != "" {
		t.Fatalf("short work printed %q", w.String())
	}
}
