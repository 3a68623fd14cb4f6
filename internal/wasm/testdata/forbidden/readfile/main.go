// Command readfile is a reactor that reads a file: it must be rejected.
package main

import "os"

//go:wasmexport forge_on_run
func run() int32 {
	if _, err := os.ReadFile("/etc/passwd"); err != nil {
		return 1
	}
	return 0
}

func main() {}
