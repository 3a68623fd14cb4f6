package wasm

import (
	"errors"
	"testing"
)

// FuzzReadModule checks that no input panics and that errors are
// *FormatError with an offset inside the input.
func FuzzReadModule(f *testing.F) {
	f.Add(sample())
	f.Add(realModule())
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadModule(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(b)) {
				t.Fatalf("offset %d outside input of %d bytes", fe.Offset, len(b))
			}
			return
		}
		for _, e := range m.Exports {
			if e.Kind == KindFunc && e.Type == nil {
				t.Fatalf("export %q has no type", e.Name)
			}
		}
		_ = CheckImports(m)
		_ = CheckExports(m)
	})
}

// realModule is a small, valid module that follows the Forge ABI: it
// imports forge.log, defines and exports memory, _initialize,
// forge_abi_version and forge_on_run.
func realModule() []byte {
	m := newModule()
	m.section(SectionType, vec(
		functype([]ValType{I32, I32, I32}, nil), // 0: log
		functype(nil, nil),                      // 1: _initialize
		functype(nil, []ValType{I32}),           // 2: () -> i32
	))
	m.section(SectionImport, vec(importFunc("forge", "log", 0)))
	m.section(SectionFunction, vec(uleb(1), uleb(2), uleb(2)))
	m.section(SectionMemory, vec([]byte{0x00, 0x01}))
	m.section(SectionExport, vec(
		export("memory", KindMemory, 0),
		export("_initialize", KindFunc, 1),
		export("forge_abi_version", KindFunc, 2),
		export("forge_on_run", KindFunc, 3),
	))
	m.section(SectionCode, vec(
		[]byte{0x02, 0x00, 0x0b},             // _initialize: nop
		[]byte{0x04, 0x00, 0x41, 0x01, 0x0b}, // forge_abi_version: i32.const 1
		cat([]byte{0x0c, 0x00}, []byte{0x41, 0x01, 0x41, 0x00, 0x41, 0x02, 0x10, 0x00, 0x41, 0x00, 0x0b}), // log(1, 0, 2); 0
	))
	m.section(SectionData, vec(cat([]byte{0x00, 0x41, 0x00, 0x0b}, str("hi"))))
	m.section(0, cat(str("producers"), []byte("handmade")))
	return m.b
}
