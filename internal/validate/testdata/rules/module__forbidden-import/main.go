// Command forbidden-import reads a file: the module imports WASI file
// system functions, which validation rejects.
package main

import (
	"os"

	"github.com/forgehq/forge/pkg/sdk"
)

//go:wasmexport forge_on_weekly
func weekly() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		b, err := os.ReadFile("/etc/passwd")
		if err != nil {
			return err
		}
		return ctx.OutputText(string(b))
	})
}

func main() {}
