package wasm

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// builder assembles modules byte by byte for tests.
type builder struct{ b []byte }

func newModule() *builder { return &builder{b: []byte("\x00asm\x01\x00\x00\x00")} }

func uleb(v uint64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}

func str(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func vec(items ...[]byte) []byte {
	out := uleb(uint64(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func functype(params, results []ValType) []byte {
	p := []byte{0x60}
	p = append(p, uleb(uint64(len(params)))...)
	for _, v := range params {
		p = append(p, byte(v))
	}
	p = append(p, uleb(uint64(len(results)))...)
	for _, v := range results {
		p = append(p, byte(v))
	}
	return p
}

func (m *builder) section(id byte, body []byte) *builder {
	m.b = append(m.b, id)
	m.b = append(m.b, uleb(uint64(len(body)))...)
	m.b = append(m.b, body...)
	return m
}

func importFunc(module, name string, typeIdx uint32) []byte {
	return cat(str(module), str(name), []byte{0x00}, uleb(uint64(typeIdx)))
}

func export(name string, kind ExternKind, idx uint32) []byte {
	return cat(str(name), []byte{byte(kind)}, uleb(uint64(idx)))
}

// sample is a module with imports of every kind, two defined functions, a
// memory and exports resolving through imports and definitions.
func sample() []byte {
	m := newModule()
	m.section(0, cat(str("meta"), []byte("anything")))
	m.section(SectionType, vec(
		functype(nil, []ValType{I32}),                      // 0: () -> i32
		functype([]ValType{I32, I32, I32}, nil),            // 1: (i32, i32, i32) -> ()
		functype([]ValType{I32, I64, I32}, []ValType{I32}), // 2
		functype(nil, nil),                                 // 3: () -> ()
	))
	m.section(SectionImport, vec(
		importFunc("forge", "log", 1),
		cat(str("env"), str("mem"), []byte{0x02, 0x01}, uleb(1), uleb(2)),
		cat(str("env"), str("tab"), []byte{0x01, 0x70, 0x00}, uleb(0)),
		cat(str("env"), str("g"), []byte{0x03, 0x7f, 0x01}),
		importFunc("wasi_snapshot_preview1", "clock_time_get", 2),
	))
	m.section(SectionFunction, vec(uleb(3), uleb(0)))
	m.section(SectionMemory, vec([]byte{0x00, 0x11}))
	m.section(SectionExport, vec(
		export("memory", KindMemory, 0),
		export("_initialize", KindFunc, 2),
		export("forge_on_weekly", KindFunc, 3),
		export("reexported_clock", KindFunc, 1),
	))
	m.section(SectionCode, vec(cat(uleb(2), []byte{0x00, 0x0b}), cat(uleb(4), []byte{0x00, 0x41, 0x00, 0x0b})))
	return m.b
}

func TestReadModuleSample(t *testing.T) {
	b := sample()
	m, err := ReadModule(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Types) != 4 || m.NumImportedFuncs != 2 || !reflect.DeepEqual(m.FuncTypes, []uint32{3, 0}) {
		t.Fatalf("types=%d imported=%d funcs=%v", len(m.Types), m.NumImportedFuncs, m.FuncTypes)
	}
	var imps []string
	for _, i := range m.Imports {
		imps = append(imps, i.Module+"."+i.Name+" "+i.Kind.String()+" "+i.Type.String())
	}
	want := []string{
		"forge.log func (i32, i32, i32) -> ()",
		"env.mem memory <nil>",
		"env.tab table <nil>",
		"env.g global <nil>",
		"wasi_snapshot_preview1.clock_time_get func (i32, i64, i32) -> i32",
	}
	if !reflect.DeepEqual(imps, want) {
		t.Errorf("imports:\n got %q\nwant %q", imps, want)
	}
	if l := m.Imports[1].Limits; l == nil || l.Min != 1 || !l.HasMax || l.Max != 2 {
		t.Errorf("memory import limits = %+v", l)
	}
	var exps []string
	for _, e := range m.Exports {
		exps = append(exps, e.Name+" "+e.Kind.String()+" "+e.Type.String())
	}
	wantE := []string{
		"memory memory <nil>",
		"_initialize func () -> ()",
		"forge_on_weekly func () -> i32",
		"reexported_clock func (i32, i64, i32) -> i32",
	}
	if !reflect.DeepEqual(exps, wantE) {
		t.Errorf("exports:\n got %q\nwant %q", exps, wantE)
	}
	if len(m.Memories) != 1 || m.Memories[0].Min != 17 {
		t.Errorf("memories = %+v", m.Memories)
	}
	if m.Sections[0].Name != "meta" || len(m.Sections) != 7 {
		t.Errorf("sections = %+v", m.Sections)
	}
}

func TestFuncTypeString(t *testing.T) {
	for _, c := range []struct {
		ft   FuncType
		want string
	}{
		{FuncType{}, "() -> ()"},
		{FuncType{Params: []ValType{I32}, Results: []ValType{I64}}, "(i32) -> i64"},
		{FuncType{Results: []ValType{I32, F64}}, "() -> (i32, f64)"},
	} {
		if got := c.ft.String(); got != c.want {
			t.Errorf("%v: got %q want %q", c.ft, got, c.want)
		}
	}
}

// TestTruncated checks that every proper prefix of a valid module fails with
// a FormatError whose offset lies inside the input, and never panics.
func TestTruncated(t *testing.T) {
	b := sample()
	for n := 0; n < len(b); n++ {
		_, err := ReadModule(b[:n])
		if n == 8 {
			if err != nil {
				t.Errorf("header-only module: %v", err)
			}
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			// A prefix that ends exactly at a section boundary is a valid
			// module, unless exports then fail to resolve.
			if err == nil && endsAtSection(b, n) {
				continue
			}
			t.Fatalf("prefix %d: err = %v, want *FormatError", n, err)
		}
		if fe.Offset < 0 || fe.Offset > int64(n) {
			t.Errorf("prefix %d: offset %d outside input", n, fe.Offset)
		}
	}
}

func endsAtSection(b []byte, n int) bool {
	pos := 8
	for pos < n {
		pos++
		size, k, err := ReadU32(b[pos:])
		if err != nil {
			return false
		}
		pos += k + int(size)
	}
	return pos == n
}

func TestMalformed(t *testing.T) {
	hdr := "\x00asm\x01\x00\x00\x00"
	for _, c := range []struct {
		name   string
		in     []byte
		offset int64
		msg    string
	}{
		{"empty", nil, 0, "unexpected end"},
		{"garbage", []byte("hello world"), 0, "bad magic"},
		{"short garbage", []byte("PK"), 0, "bad magic"},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), 0, "bad magic"},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), 4, "unsupported binary format version 2"},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), 4, "unsupported binary format version"},
		{"unknown section", []byte(hdr + "\x0e\x00"), 8, "unknown section id 14"},
		{"section too big", []byte(hdr + "\x01\x7f\x00"), 8, "type section size 127 exceeds the 1 bytes left"},
		{"LEB too long", []byte(hdr + "\x01\x80\x80\x80\x80\x80\x00"), 9, "LEB128 longer than 5 bytes"},
		{"LEB overflow", []byte(hdr + "\x01\x80\x80\x80\x80\x70"), 9, "LEB128 overflows 32 bits"},
		{"LEB truncated", []byte(hdr + "\x01\x80"), 9, "unexpected end of input in LEB128"},
		{"huge type count", []byte(hdr + "\x01\x05\xff\xff\xff\xff\x0f"), 10, "type count 4294967295 exceeds"},
		{"huge import count", []byte(hdr + "\x02\x03\xff\xff\x03"), 10, "import count 65535 exceeds"},
		{"huge name", []byte(hdr + "\x02\x06\x01\xff\xff\xff\xff\x0f"), 11, "import module name length 4294967295 exceeds"},
		{"bad type form", []byte(hdr + "\x01\x04\x01\x5f\x00\x00"), 11, "unsupported type form 0x5f"},
		{"bad valtype", []byte(hdr + "\x01\x05\x01\x60\x01\x42\x00"), 13, "invalid parameter value type 0x42"},
		{"trailing bytes", []byte(hdr + "\x01\x05\x01\x60\x00\x00\x00"), 14, "type section has 1 trailing bytes"},
		{"duplicate section", []byte(hdr + "\x01\x01\x00\x01\x01\x00"), 11, "duplicate type section"},
		{"out of order", []byte(hdr + "\x03\x01\x00\x01\x01\x00"), 11, "type section out of order"},
		{"import type out of range", sec(hdr, SectionImport, vec(importFunc("a", "b", 0))), 16, "type index 0 out of range (0 types)"},
		{"bad import kind", sec(hdr, SectionImport, vec(cat(str("a"), str("b"), []byte{0x07, 0x00}))), 15, "invalid import kind 0x07"},
		{"bad utf8 name", cat([]byte(hdr), []byte{SectionExport, 5}, vec(cat(str("\xff"), []byte{0, 0}))), 12, "not valid UTF-8"},
		{"export index out of range", cat([]byte(hdr), []byte{SectionExport, 5}, vec(export("f", KindFunc, 9))), 11, "function index 9 out of range"},
		{"duplicate export", cat([]byte(hdr), []byte{SectionExport, 9}, vec(export("m", KindMemory, 0), export("m", KindMemory, 0))), 15, `duplicate export name "m"`},
		{"memory max below min", cat([]byte(hdr), []byte{SectionMemory, 4}, vec([]byte{0x01, 0x05, 0x01})), 11, "maximum 1 is below minimum 5"},
		{"bad limits flags", cat([]byte(hdr), []byte{SectionMemory, 3}, vec([]byte{0x09, 0x01})), 11, "invalid memory limits flags 0x09"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadModule(c.in)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FormatError", err)
			}
			if fe.Offset != c.offset || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("got %v, want offset 0x%x and %q", err, c.offset, c.msg)
			}
		})
	}
}

func TestLEB128(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		v    uint32
		n    int
		fail bool
	}{
		{[]byte{0x00}, 0, 1, false},
		{[]byte{0x7f}, 127, 1, false},
		{[]byte{0x80, 0x01}, 128, 2, false},
		{[]byte{0x80, 0x00}, 0, 2, false}, // non-minimal encodings are valid
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 0xffffffff, 5, false},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 0, 0, true},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 0, true},
		{[]byte{0x80}, 0, 0, true},
		{nil, 0, 0, true},
	} {
		v, n, err := ReadU32(c.in)
		if (err != nil) != c.fail || v != c.v || n != c.n {
			t.Errorf("ReadU32(% x) = %d, %d, %v", c.in, v, n, err)
		}
	}
	if v, n, err := readU64([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}); err != nil || n != 10 || v != 1<<64-1 {
		t.Errorf("readU64 max = %d %d %v", v, n, err)
	}
	if _, _, err := readU64([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}); err == nil {
		t.Error("readU64 accepted a 65-bit value")
	}
}

func mustRead(t *testing.T, b []byte) *Module {
	t.Helper()
	m, err := ReadModule(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sec(hdr string, id byte, body []byte) []byte {
	return cat([]byte(hdr), []byte{id}, uleb(uint64(len(body))), body)
}
