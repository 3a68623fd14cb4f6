// Package pkg carries the source of Forge's public Go SDK so that
// `forge ext new` can vendor it into a new extension, which then builds with
// the Go toolchain alone, offline. It is not imported by extensions.
package pkg

import "embed"

// SDK holds pkg/sdk and its sub-packages (tests and testdata are skipped
// when vendoring).
//
//go:embed sdk
var SDK embed.FS
