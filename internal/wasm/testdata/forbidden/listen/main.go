// Command listen is a reactor that accepts on an inherited socket: it must
// be rejected.
package main

import (
	"net"
	"os"
)

//go:wasmexport forge_on_run
func run() int32 {
	l, err := net.FileListener(os.NewFile(3, "socket"))
	if err != nil {
		return 1
	}
	c, err := l.Accept()
	if err != nil {
		return 1
	}
	c.Close()
	return 0
}

func main() {}
