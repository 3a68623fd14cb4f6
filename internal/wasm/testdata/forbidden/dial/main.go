// Command dial is a reactor that dials a socket: it must be rejected.
package main

import "net"

//go:wasmexport forge_on_run
func run() int32 {
	c, err := net.Dial("tcp", "169.254.169.254:80")
	if err != nil {
		return 1
	}
	c.Close()
	return 0
}

func main() {}
