// Command minimal is the smallest Go reactor: one trigger, no SDK. It
// exports no forge_abi_version, and imports only runtime WASI functions.
package main

//go:wasmexport forge_on_run
func run() int32 { return 0 }

func main() {}
