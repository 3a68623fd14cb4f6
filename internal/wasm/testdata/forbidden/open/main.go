// Command open is a reactor that opens a file: it must be rejected.
package main

import "os"

//go:wasmexport forge_on_run
func run() int32 {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return 1
	}
	f.Close()
	return 0
}

func main() {}
