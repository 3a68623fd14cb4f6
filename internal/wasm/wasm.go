package wasm

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Magic is the four-byte preamble of every WebAssembly binary module.
const Magic = "\x00asm"

// Version is the binary format version this reader understands.
const Version = 1

// ValType is a WebAssembly value type, encoded as in the binary format.
type ValType byte

// Value types of the WebAssembly core specification.
const (
	I32       ValType = 0x7f
	I64       ValType = 0x7e
	F32       ValType = 0x7d
	F64       ValType = 0x7c
	V128      ValType = 0x7b
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6f
)

// String returns the text-format name of the value type.
func (v ValType) String() string {
	switch v {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("valtype(0x%02x)", byte(v))
}

// Valid reports whether v is one of the value types above: the core numeric
// types, v128 and the two reference types.
func (v ValType) Valid() bool {
	switch v {
	case I32, I64, F32, F64, V128, FuncRef, ExternRef:
		return true
	}
	return false
}

// FuncType is a function signature.
type FuncType struct {
	Params  []ValType
	Results []ValType
}

// String formats the signature as "(i32, i32) -> i32"; no results print as
// "()" and several as "(i32, i64)".
func (f *FuncType) String() string {
	if f == nil {
		return "<nil>"
	}
	var b strings.Builder
	writeList := func(vs []ValType) {
		b.WriteByte('(')
		for i, v := range vs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.String())
		}
		b.WriteByte(')')
	}
	writeList(f.Params)
	b.WriteString(" -> ")
	if len(f.Results) == 1 {
		b.WriteString(f.Results[0].String())
	} else {
		writeList(f.Results)
	}
	return b.String()
}

// Equal reports whether f and g have the same parameters and results.
func (f *FuncType) Equal(g *FuncType) bool {
	if f == nil || g == nil {
		return f == g
	}
	if len(f.Params) != len(g.Params) || len(f.Results) != len(g.Results) {
		return false
	}
	for i := range f.Params {
		if f.Params[i] != g.Params[i] {
			return false
		}
	}
	for i := range f.Results {
		if f.Results[i] != g.Results[i] {
			return false
		}
	}
	return true
}

// ExternKind is the kind of an import or export.
type ExternKind byte

// External kinds, encoded as in the binary format.
const (
	KindFunc   ExternKind = 0x00
	KindTable  ExternKind = 0x01
	KindMemory ExternKind = 0x02
	KindGlobal ExternKind = 0x03
	KindTag    ExternKind = 0x04
)

// String returns the text-format keyword of the kind.
func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(0x%02x)", byte(k))
}

// Limits are the size limits of a memory (in 64 KiB pages) or a table (in
// elements).
type Limits struct {
	Min    uint64
	Max    uint64 // valid only if HasMax
	HasMax bool
	Shared bool
	Is64   bool
}

// Import is one entry of the import section.
type Import struct {
	Module string
	Name   string
	Kind   ExternKind
	// Type is the signature of a function (KindFunc) or tag (KindTag) import.
	Type *FuncType
	// Limits is set for table and memory imports.
	Limits *Limits
	// Offset is the byte offset of the entry in the module.
	Offset int64
}

// Export is one entry of the export section.
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
	// Type is the signature of an exported function, resolved through the
	// import, function and type sections; nil for other kinds.
	Type *FuncType
	// Offset is the byte offset of the entry in the module.
	Offset int64
}

// Section identifies one section of the module as it was read.
type Section struct {
	ID     byte
	Name   string // custom sections only
	Offset int64  // offset of the section contents
	Size   uint32
}

// Module is the interface of a WebAssembly module: what it imports and
// exports, with the signatures of functions.
type Module struct {
	Types    []*FuncType
	Imports  []Import
	Exports  []Export
	Memories []Limits // memories defined by the module (memory section)
	Sections []Section

	// FuncTypes holds the type index of each function defined by the module
	// (the function section), in order.
	FuncTypes []uint32
	// NumImportedFuncs is the number of function imports; defined functions
	// are numbered after them.
	NumImportedFuncs uint32
}

// Export returns the export with the given name, or nil.
func (m *Module) Export(name string) *Export {
	for i := range m.Exports {
		if m.Exports[i].Name == name {
			return &m.Exports[i]
		}
	}
	return nil
}

// FormatError reports a malformed or unsupported module at a byte offset.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("wasm: offset 0x%x: %s", e.Offset, e.Msg)
}

// Section ids of the core specification (and the exception-handling tag
// section), as found in Section.ID.
const (
	SectionCustom    = 0
	SectionType      = 1
	SectionImport    = 2
	SectionFunction  = 3
	SectionTable     = 4
	SectionMemory    = 5
	SectionGlobal    = 6
	SectionExport    = 7
	SectionStart     = 8
	SectionElement   = 9
	SectionCode      = 10
	SectionData      = 11
	SectionDataCount = 12
	SectionTag       = 13
)

// sectionOrder is the position each known non-custom section must take;
// see SectionOrder.
var sectionOrder = [...]int{
	SectionType: 1, SectionImport: 2, SectionFunction: 3, SectionTable: 4, SectionMemory: 5,
	SectionTag: 6, SectionGlobal: 7, SectionExport: 8, SectionStart: 9, SectionElement: 10,
	SectionDataCount: 11, SectionCode: 12, SectionData: 13,
}

var sectionNames = [...]string{
	SectionCustom: "custom", SectionType: "type", SectionImport: "import", SectionFunction: "function",
	SectionTable: "table", SectionMemory: "memory", SectionGlobal: "global", SectionExport: "export",
	SectionStart: "start", SectionElement: "element", SectionCode: "code", SectionData: "data",
	SectionDataCount: "datacount", SectionTag: "tag",
}

// SectionOrder returns the position a non-custom section with the given id
// must take in a module: the binary format orders sections by this, not by
// id (the tag section sits between memory and global, the data count
// section between element and code). It returns 0 for a custom section,
// which may appear anywhere, and for an unknown id.
func SectionOrder(id byte) int {
	if int(id) < len(sectionOrder) {
		return sectionOrder[id]
	}
	return 0
}

// SectionName returns the name of a section id.
func SectionName(id byte) string {
	if int(id) < len(sectionNames) {
		return sectionNames[id]
	}
	return fmt.Sprintf("section(%d)", id)
}

// ReadModule reads the interface of the module encoded in b. Sections other
// than type, import, function, memory and export are skipped by size (custom
// sections only have their name read). It never panics; a malformed module
// yields a *FormatError.
func ReadModule(b []byte) (*Module, error) {
	p := &parser{b: b}
	m, err := p.module()
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parser decodes a module held in memory. base is the offset of b[0] in the
// whole module, for error messages.
type parser struct {
	b    []byte
	pos  int
	base int64
}

func (p *parser) errf(at int, format string, args ...any) *FormatError {
	return &FormatError{Offset: p.base + int64(at), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) remaining() int { return len(p.b) - p.pos }

func (p *parser) byte1(what string) (byte, error) {
	if p.pos >= len(p.b) {
		return 0, p.errf(p.pos, "unexpected end of input reading %s", what)
	}
	c := p.b[p.pos]
	p.pos++
	return c, nil
}

func (p *parser) u32(what string) (uint32, error) {
	v, n, err := ReadU32(p.b[p.pos:])
	if err != nil {
		return 0, p.errf(p.pos, "%s: %v", what, err)
	}
	p.pos += n
	return v, nil
}

func (p *parser) u64(what string) (uint64, error) {
	v, n, err := readU64(p.b[p.pos:])
	if err != nil {
		return 0, p.errf(p.pos, "%s: %v", what, err)
	}
	p.pos += n
	return v, nil
}

// count reads a vector length and checks that at least min bytes per element
// remain, so that no allocation exceeds the input.
func (p *parser) count(what string, minSize int) (int, error) {
	at := p.pos
	n, err := p.u32(what + " count")
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(minSize) > uint64(p.remaining()) {
		return 0, p.errf(at, "%s count %d exceeds the %d bytes left", what, n, p.remaining())
	}
	return int(n), nil
}

func (p *parser) name(what string) (string, error) {
	at := p.pos
	n, err := p.u32(what + " length")
	if err != nil {
		return "", err
	}
	if uint64(n) > uint64(p.remaining()) {
		return "", p.errf(at, "%s length %d exceeds the %d bytes left", what, n, p.remaining())
	}
	s := p.b[p.pos : p.pos+int(n)]
	if !utf8.Valid(s) {
		return "", p.errf(p.pos, "%s is not valid UTF-8", what)
	}
	p.pos += int(n)
	return string(s), nil
}

// Errors of ReadU32 and readU64. They carry no offset: callers that know
// where b starts in the module attach it.
var (
	errLEBEnd        = errors.New("unexpected end of input in LEB128")
	errLEB32Long     = errors.New("LEB128 longer than 5 bytes")
	errLEB32Overflow = errors.New("LEB128 overflows 32 bits")
	errLEB64Long     = errors.New("LEB128 longer than 10 bytes")
	errLEB64Overflow = errors.New("LEB128 overflows 64 bits")
)

// ReadU32 decodes the u32 at the start of b: an unsigned LEB128 number of
// at most 5 bytes whose value fits in 32 bits (non-minimal encodings are
// valid, as in the binary format). It returns the value and the number of
// bytes it took; on error, zero and 0.
func ReadU32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errLEBEnd
		}
		c := b[i]
		if i == 4 {
			if c&0x80 != 0 {
				return 0, 0, errLEB32Long
			}
			if c > 0x0f {
				return 0, 0, errLEB32Overflow
			}
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errLEB32Long
}

// readU64 is ReadU32 for a u64 (at most 10 bytes).
func readU64(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, 0, errLEBEnd
		}
		c := b[i]
		if i == 9 {
			if c&0x80 != 0 {
				return 0, 0, errLEB64Long
			}
			if c > 0x01 {
				return 0, 0, errLEB64Overflow
			}
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errLEB64Long
}

func (p *parser) header() error {
	if len(p.b) < 8 {
		n := min(len(p.b), 4)
		if string(p.b[:n]) == Magic[:n] {
			return p.errf(len(p.b), "unexpected end of input in module header")
		}
		return p.errf(0, "not a WebAssembly module (bad magic %q)", p.b[:n])
	}
	if string(p.b[:4]) != Magic {
		return p.errf(0, "not a WebAssembly module (bad magic %q)", p.b[:4])
	}
	if v := uint32(p.b[4]) | uint32(p.b[5])<<8 | uint32(p.b[6])<<16 | uint32(p.b[7])<<24; v != Version {
		return p.errf(4, "unsupported binary format version %d", v)
	}
	p.pos = 8
	return nil
}

// sectionState tracks section order and the pieces needed to resolve
// exports.
type sectionState struct {
	last int
	seen [14]bool
}

func (s *sectionState) check(id byte, at int64) error {
	if id == SectionCustom {
		return nil
	}
	if int(id) >= len(sectionOrder) {
		return &FormatError{Offset: at, Msg: fmt.Sprintf("unknown section id %d", id)}
	}
	if s.seen[id] {
		return &FormatError{Offset: at, Msg: fmt.Sprintf("duplicate %s section", SectionName(id))}
	}
	o := sectionOrder[id]
	if o < s.last {
		return &FormatError{Offset: at, Msg: fmt.Sprintf("%s section out of order", SectionName(id))}
	}
	s.last = o
	s.seen[id] = true
	return nil
}

func (p *parser) module() (*Module, error) {
	if err := p.header(); err != nil {
		return nil, err
	}
	m := &Module{}
	var st sectionState
	for p.pos < len(p.b) {
		at := p.pos
		id := p.b[p.pos]
		p.pos++
		size, err := p.u32("section size")
		if err != nil {
			return nil, err
		}
		if uint64(size) > uint64(p.remaining()) {
			return nil, p.errf(at, "%s section size %d exceeds the %d bytes left", SectionName(id), size, p.remaining())
		}
		if err := st.check(id, p.base+int64(at)); err != nil {
			return nil, err
		}
		body := &parser{b: p.b[p.pos : p.pos+int(size)], base: p.base + int64(p.pos)}
		if err := m.section(id, body); err != nil {
			return nil, err
		}
		p.pos += int(size)
	}
	if err := m.resolve(); err != nil {
		return nil, err
	}
	return m, nil
}

// section decodes one section body (or records it when skipped).
func (m *Module) section(id byte, p *parser) error {
	sec := Section{ID: id, Offset: p.base, Size: uint32(len(p.b))}
	var err error
	switch id {
	case SectionCustom:
		sec.Name, err = p.name("custom section name")
	case SectionType:
		err = m.typeSection(p)
	case SectionImport:
		err = m.importSection(p)
	case SectionFunction:
		err = m.functionSection(p)
	case SectionMemory:
		err = m.memorySection(p)
	case SectionExport:
		err = m.exportSection(p)
	default:
		p.pos = len(p.b)
	}
	if err != nil {
		return err
	}
	m.Sections = append(m.Sections, sec)
	if id != SectionCustom && p.pos != len(p.b) {
		return p.errf(p.pos, "%s section has %d trailing bytes", SectionName(id), len(p.b)-p.pos)
	}
	return nil
}

func (m *Module) typeSection(p *parser) error {
	n, err := p.count("type", 3)
	if err != nil {
		return err
	}
	m.Types = make([]*FuncType, 0, n)
	for range n {
		at := p.pos
		form, err := p.byte1("type form")
		if err != nil {
			return err
		}
		if form != 0x60 {
			return p.errf(at, "unsupported type form 0x%02x (only function types are supported)", form)
		}
		ft := &FuncType{}
		if ft.Params, err = p.valTypes("parameter"); err != nil {
			return err
		}
		if ft.Results, err = p.valTypes("result"); err != nil {
			return err
		}
		m.Types = append(m.Types, ft)
	}
	return nil
}

func (p *parser) valTypes(what string) ([]ValType, error) {
	n, err := p.count(what, 1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	vs := make([]ValType, n)
	for i := range vs {
		if c := p.b[p.pos]; !ValType(c).Valid() {
			return nil, p.errf(p.pos, "invalid %s value type 0x%02x", what, c)
		}
		vs[i] = ValType(p.b[p.pos])
		p.pos++
	}
	return vs, nil
}

func (p *parser) limits(what string) (*Limits, error) {
	at := p.pos
	flags, err := p.byte1(what + " limits")
	if err != nil {
		return nil, err
	}
	if flags > 0x07 {
		return nil, p.errf(at, "invalid %s limits flags 0x%02x", what, flags)
	}
	l := &Limits{HasMax: flags&1 != 0, Shared: flags&2 != 0, Is64: flags&4 != 0}
	read := func(field string) (uint64, error) {
		if l.Is64 {
			return p.u64(what + " " + field)
		}
		v, err := p.u32(what + " " + field)
		return uint64(v), err
	}
	if l.Min, err = read("minimum"); err != nil {
		return nil, err
	}
	if l.HasMax {
		if l.Max, err = read("maximum"); err != nil {
			return nil, err
		}
		if l.Max < l.Min {
			return nil, p.errf(at, "%s maximum %d is below minimum %d", what, l.Max, l.Min)
		}
	}
	return l, nil
}

func (m *Module) typeAt(p *parser, at int, idx uint32) (*FuncType, error) {
	if uint64(idx) >= uint64(len(m.Types)) {
		return nil, p.errf(at, "type index %d out of range (%d types)", idx, len(m.Types))
	}
	return m.Types[idx], nil
}

func (m *Module) importSection(p *parser) error {
	n, err := p.count("import", 4)
	if err != nil {
		return err
	}
	m.Imports = make([]Import, 0, n)
	for range n {
		imp := Import{Offset: p.base + int64(p.pos)}
		if imp.Module, err = p.name("import module name"); err != nil {
			return err
		}
		if imp.Name, err = p.name("import name"); err != nil {
			return err
		}
		at := p.pos
		kind, err := p.byte1("import kind")
		if err != nil {
			return err
		}
		imp.Kind = ExternKind(kind)
		switch imp.Kind {
		case KindFunc:
			at := p.pos
			idx, err := p.u32("import type index")
			if err != nil {
				return err
			}
			if imp.Type, err = m.typeAt(p, at, idx); err != nil {
				return err
			}
			m.NumImportedFuncs++
		case KindTable:
			at := p.pos
			rt, err := p.byte1("table element type")
			if err != nil {
				return err
			}
			if ValType(rt) != FuncRef && ValType(rt) != ExternRef {
				return p.errf(at, "invalid table element type 0x%02x", rt)
			}
			if imp.Limits, err = p.limits("table"); err != nil {
				return err
			}
		case KindMemory:
			if imp.Limits, err = p.limits("memory"); err != nil {
				return err
			}
		case KindGlobal:
			at := p.pos
			vt, err := p.byte1("global type")
			if err != nil {
				return err
			}
			if !ValType(vt).Valid() {
				return p.errf(at, "invalid global type 0x%02x", vt)
			}
			at = p.pos
			mut, err := p.byte1("global mutability")
			if err != nil {
				return err
			}
			if mut > 1 {
				return p.errf(at, "invalid global mutability 0x%02x", mut)
			}
		case KindTag:
			at := p.pos
			attr, err := p.byte1("tag attribute")
			if err != nil {
				return err
			}
			if attr != 0 {
				return p.errf(at, "invalid tag attribute 0x%02x", attr)
			}
			at = p.pos
			idx, err := p.u32("tag type index")
			if err != nil {
				return err
			}
			if imp.Type, err = m.typeAt(p, at, idx); err != nil {
				return err
			}
		default:
			return p.errf(at, "invalid import kind 0x%02x", kind)
		}
		m.Imports = append(m.Imports, imp)
	}
	return nil
}

func (m *Module) functionSection(p *parser) error {
	n, err := p.count("function", 1)
	if err != nil {
		return err
	}
	m.FuncTypes = make([]uint32, n)
	for i := range m.FuncTypes {
		at := p.pos
		idx, err := p.u32("function type index")
		if err != nil {
			return err
		}
		if uint64(idx) >= uint64(len(m.Types)) {
			return p.errf(at, "type index %d out of range (%d types)", idx, len(m.Types))
		}
		m.FuncTypes[i] = idx
	}
	return nil
}

func (m *Module) memorySection(p *parser) error {
	n, err := p.count("memory", 2)
	if err != nil {
		return err
	}
	m.Memories = make([]Limits, 0, n)
	for range n {
		l, err := p.limits("memory")
		if err != nil {
			return err
		}
		m.Memories = append(m.Memories, *l)
	}
	return nil
}

func (m *Module) exportSection(p *parser) error {
	n, err := p.count("export", 3)
	if err != nil {
		return err
	}
	m.Exports = make([]Export, 0, n)
	for range n {
		e := Export{Offset: p.base + int64(p.pos)}
		if e.Name, err = p.name("export name"); err != nil {
			return err
		}
		at := p.pos
		kind, err := p.byte1("export kind")
		if err != nil {
			return err
		}
		if kind > byte(KindTag) {
			return p.errf(at, "invalid export kind 0x%02x", kind)
		}
		e.Kind = ExternKind(kind)
		if e.Index, err = p.u32("export index"); err != nil {
			return err
		}
		m.Exports = append(m.Exports, e)
	}
	return nil
}

// resolve attaches function signatures to function exports and checks that
// export names are unique.
func (m *Module) resolve() error {
	names := make(map[string]struct{}, len(m.Exports))
	for i := range m.Exports {
		e := &m.Exports[i]
		if _, dup := names[e.Name]; dup {
			return &FormatError{Offset: e.Offset, Msg: fmt.Sprintf("duplicate export name %q", e.Name)}
		}
		names[e.Name] = struct{}{}
		if e.Kind != KindFunc {
			continue
		}
		ft, ok := m.FuncType(e.Index)
		if !ok {
			return &FormatError{Offset: e.Offset, Msg: fmt.Sprintf("export %q: function index %d out of range (%d functions)",
				e.Name, e.Index, uint64(m.NumImportedFuncs)+uint64(len(m.FuncTypes)))}
		}
		e.Type = ft
	}
	return nil
}

// FuncType returns the signature of the function with the given index in the
// function index space (imports first, then defined functions).
func (m *Module) FuncType(idx uint32) (*FuncType, bool) {
	if idx < m.NumImportedFuncs {
		var k uint32
		for i := range m.Imports {
			if m.Imports[i].Kind != KindFunc {
				continue
			}
			if k == idx {
				return m.Imports[i].Type, true
			}
			k++
		}
		return nil, false
	}
	d := uint64(idx - m.NumImportedFuncs)
	if d >= uint64(len(m.FuncTypes)) {
		return nil, false
	}
	t := m.FuncTypes[d]
	if uint64(t) >= uint64(len(m.Types)) {
		return nil, false
	}
	return m.Types[t], true
}
