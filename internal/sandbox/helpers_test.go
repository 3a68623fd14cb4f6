package sandbox

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/gobuild"
)

var (
	buildMu    sync.Mutex
	buildCache = map[string][]byte{}
)

// guest builds a Go guest (GOOS=wasip1, -buildmode=c-shared) once per test
// binary. dir is relative to this package.
func guest(tb testing.TB, dir string) []byte {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := buildCache[dir]; ok {
		return b
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := gobuild.Build(context.Background(), abs)
	if err != nil {
		tb.Fatalf("build %s: %v", dir, err)
	}
	buildCache[dir] = b
	return b
}

func escapeGuest(tb testing.TB) []byte { return guest(tb, "testdata/guests/escape") }

// newRuntime returns a Runtime with its compilation cache in a temporary
// directory, closed at the end of the test.
func newRuntime(tb testing.TB, cfg Config) *Runtime {
	tb.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = sharedCacheDir(tb)
	}
	r, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

var (
	cacheOnce sync.Once
	cacheDirV string
)

// sharedCacheDir is one compilation cache for the whole test binary, so each
// guest is compiled once.
func sharedCacheDir(tb testing.TB) string {
	cacheOnce.Do(func() {
		d, err := osMkdirTemp()
		if err != nil {
			tb.Fatal(err)
		}
		cacheDirV = d
	})
	return cacheDirV
}

func compile(tb testing.TB, r *Runtime, b []byte) *Module {
	tb.Helper()
	m, err := r.Compile(context.Background(), b)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

var localNS = LocalNamespace("escape")
