package dev

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/gobuild"
	"github.com/forgehq/forge/internal/iostreams"
)

// watchWriter collects output and lets a test wait for a line.
type watchWriter struct {
	mu      sync.Mutex
	buf     strings.Builder
	changed chan struct{}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *watchWriter) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		w.mu.Lock()
		got := w.buf.String()
		w.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-w.changed:
		case <-deadline:
			t.Fatalf("no %q in the output:\n%s", want, got)
		}
	}
}

const manifestV = `apiVersion: forge.dev/v1
name: status-report
version: VERSION
description: Reload test.
module:
  wasm: module.wasm
triggers:
  - name: daily
    schedule: {cron: "0 9 * * *", timezone: Europe/Paris}
secrets:
  - name: BILLING_TOKEN
    hosts: [api.billing.example.com]
egress:
  - https://api.billing.example.com/v1/
`

// TestDevReloadsOnChange runs forge dev on an extension, changes its
// manifest and sees it reloaded, then breaks it and sees the previous
// version kept.
func TestDevReloadsOnChange(t *testing.T) {
	module, err := gobuild.Build(t.Context(), filepath.Join("..", "..", "..", "testdata", "demo", "status-report"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ext := filepath.Join(dir, "ext")
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(ext, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(ext, 0o755); err != nil {
		t.Fatal(err)
	}
	write("module.wasm", string(module))
	write("extension.yaml", strings.Replace(manifestV, "VERSION", "1.0.0", 1))
	cfg, err := config.Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := &watchWriter{changed: make(chan struct{}, 1)}
	opts := &Options{IO: &iostreams.IOStreams{Out: out, ErrOut: out}, Config: cfg, WorkDir: dir, Path: "ext"}
	opts.Flags.CacheDir = filepath.Join(dir, "cache")
	opts.Flags.Secrets = []string{"BILLING_TOKEN=tok-reload-1"}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()

	out.waitFor(t, "(status-report 1.0.0); triggers:")
	out.waitFor(t, `daily: "0 9 * * *", next at `)
	write("extension.yaml", strings.Replace(manifestV, "VERSION", "1.0.1", 1))
	out.waitFor(t, "--- reloaded status-report 1.0.1")
	write("extension.yaml", "apiVersion: forge.dev/v1\nname: [broken\n")
	out.waitFor(t, "rebuild failed, still running the previous version")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if strings.Contains(out.buf.String(), "tok-reload-1") {
		t.Fatal("the secret value was printed")
	}
}
