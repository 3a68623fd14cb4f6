package sandbox

// A tiny WebAssembly assembler for guests that Go cannot express (a bare
// tight loop, unbounded recursion, an arbitrary import) and for minimal
// benchmark modules.

type asmFunc struct {
	typ    int
	locals []byte // one i32 local per byte entry, as (count=1, type)
	body   []byte // instructions, without the final end
}

type asmImport struct {
	module, name string
	typ          int
}

type asmExport struct {
	name string
	kind byte
	idx  int
}

type asmModule struct {
	types   [][2][]byte // params, results
	imports []asmImport
	funcs   []asmFunc
	memMin  uint32
	memMax  int64 // -1: none
	exports []asmExport
}

func newAsm() *asmModule { return &asmModule{memMin: 1, memMax: -1} }

func (m *asmModule) typ(params, results []byte) int {
	m.types = append(m.types, [2][]byte{params, results})
	return len(m.types) - 1
}

func (m *asmModule) importFunc(module, name string, typ int) int {
	m.imports = append(m.imports, asmImport{module, name, typ})
	return len(m.imports) - 1
}

// fn adds a function and returns its index in the function index space
// (after the imports; call it once all imports are added).
func (m *asmModule) fn(typ int, locals []byte, body ...byte) int {
	m.funcs = append(m.funcs, asmFunc{typ, locals, body})
	return len(m.imports) + len(m.funcs) - 1
}

func (m *asmModule) export(name string, kind byte, idx int) {
	m.exports = append(m.exports, asmExport{name, kind, idx})
}

func vec(items ...[]byte) []byte {
	out := appendU32(nil, uint32(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func name(s string) []byte { return append(appendU32(nil, uint32(len(s))), s...) }

func section(id byte, contents []byte) []byte {
	return append(appendU32([]byte{id}, uint32(len(contents))), contents...)
}

func (m *asmModule) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	var items [][]byte
	for _, t := range m.types {
		items = append(items, append(append([]byte{0x60}, append(appendU32(nil, uint32(len(t[0]))), t[0]...)...), append(appendU32(nil, uint32(len(t[1]))), t[1]...)...))
	}
	out = append(out, section(1, vec(items...))...)
	if len(m.imports) > 0 {
		items = nil
		for _, im := range m.imports {
			items = append(items, append(append(append(name(im.module), name(im.name)...), 0x00), appendU32(nil, uint32(im.typ))...))
		}
		out = append(out, section(2, vec(items...))...)
	}
	items = nil
	for _, f := range m.funcs {
		items = append(items, appendU32(nil, uint32(f.typ)))
	}
	out = append(out, section(3, vec(items...))...)
	mem := []byte{0x00}
	if m.memMax >= 0 {
		mem = []byte{0x01}
	}
	mem = appendU32(mem, m.memMin)
	if m.memMax >= 0 {
		mem = appendU32(mem, uint32(m.memMax))
	}
	out = append(out, section(5, vec(mem))...)
	items = nil
	for _, e := range m.exports {
		items = append(items, append(append(name(e.name), e.kind), appendU32(nil, uint32(e.idx))...))
	}
	out = append(out, section(7, vec(items...))...)
	items = nil
	for _, f := range m.funcs {
		var locals [][]byte
		for _, l := range f.locals {
			locals = append(locals, []byte{1, l})
		}
		body := append(vec(locals...), f.body...)
		body = append(body, 0x0b)
		items = append(items, append(appendU32(nil, uint32(len(body))), body...))
	}
	out = append(out, section(10, vec(items...))...)
	return out
}

const (
	i32 = 0x7f
	i64 = 0x7e
)

// i32const encodes i32.const v (signed LEB128).
func i32const(v int32) []byte {
	out := []byte{0x41}
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// abiModule returns a module with the ABI's required exports (memory,
// _initialize, forge_abi_version returning version) to which the caller adds
// triggers. Imports must be added before calling abiBase's functions, so it
// takes them as a callback.
func abiModule(version int32, imports func(m *asmModule)) (*asmModule, int) {
	m := newAsm()
	void := m.typ(nil, nil)
	ret32 := m.typ(nil, []byte{i32})
	if imports != nil {
		imports(m)
	}
	m.export("memory", 2, 0)
	m.export("_initialize", 0, m.fn(void, nil))
	m.export("forge_abi_version", 0, m.fn(ret32, nil, i32const(version)...))
	return m, ret32
}
