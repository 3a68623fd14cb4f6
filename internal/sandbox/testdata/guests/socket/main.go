// Command socket tries to use a socket: a listener on an inherited file
// descriptor (sock_accept) and a dial. The sandbox must refuse it before it
// runs, naming the imports.
package main

import (
	"net"
	"os"

	"github.com/forgehq/forge/pkg/sdk"
)

func main() {}

//go:wasmexport forge_on_listen
func listen() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		l, err := net.FileListener(os.NewFile(3, "socket"))
		if err != nil {
			return err
		}
		defer l.Close()
		if c, err := l.Accept(); err == nil {
			_ = c.Close()
		}
		c, err := net.Dial("tcp", "127.0.0.1:22")
		if err != nil {
			return err
		}
		return c.Close()
	})
}
