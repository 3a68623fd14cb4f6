// Command forge is the Forge developer toolchain. See docs/ and `forge --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/forgehq/forge/internal/cli"
	"github.com/forgehq/forge/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(code)
}
