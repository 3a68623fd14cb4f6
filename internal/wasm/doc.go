// Package wasm reads the interface of a WebAssembly binary module — its
// function types, imports and exports — without decoding code or data, and
// checks it against the Forge guest ABI (see docs/abi.md).
//
// The reader is a hand-written decoder of the binary format: it reads the
// preamble and section headers, decodes the type, import, function, memory
// and export sections, and skips every other section by its size. Every
// allocation is bounded by the bytes that remain, and malformed input yields
// a *FormatError carrying the byte offset of the problem; it never panics.
//
//	m, err := wasm.ReadModule(b)
//	if err != nil {
//		return err // *wasm.FormatError{Offset, Msg}
//	}
//	for _, v := range wasm.CheckImports(m) {
//		fmt.Println(v) // forbidden or wrongly typed import
//	}
package wasm
