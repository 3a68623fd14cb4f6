package openapi

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusDir is the shared corpus: $FORGE_CORPUS, or ../../../../shared/corpus
// from this package. A missing corpus fails the test.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("FORGE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "corpus")
	}
	if st, err := os.Stat(filepath.Join(dir, "openapi")); err != nil || !st.IsDir() {
		tb.Fatalf("corpus not found at %s (set FORGE_CORPUS): %v", dir, err)
	}
	return dir
}
