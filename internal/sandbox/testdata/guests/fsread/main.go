// Command fsread tries to read a host file through WASI. The sandbox must
// refuse it before it runs, naming path_open.
package main

import (
	"os"

	"github.com/forgehq/forge/pkg/sdk"
)

func main() {}

//go:wasmexport forge_on_read
func read() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		b, err := os.ReadFile("/etc/passwd")
		if err != nil {
			return err
		}
		return ctx.OutputText(string(b))
	})
}
