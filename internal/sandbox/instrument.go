package sandbox

import (
	"errors"
	"fmt"

	"github.com/forgehq/forge/internal/wasm"
)

// stopExport is the name under which a stop-flag instrumented module
// exports its flag. It is added after the module's exports were checked, so
// a guest cannot declare it, and the guest's own code cannot name the
// global: its index did not exist when the code was written.
const stopExport = "forge.sandbox.stop"

// defaultBudget is the number of loop iterations and function calls between
// two returns of a countdown-instrumented guest to the host (see
// instrumentCountdown). BenchmarkTimeoutEnforcement measures 1024, 4096 and
// 16384: the cost is flat from 4096 up.
const defaultBudget = 4096

// yieldImport returns the function index of the module's import of
// wasi_snapshot_preview1.sched_yield () -> i32, if it has one.
func yieldImport(m *wasm.Module) (uint32, bool) {
	want := wasm.FuncType{Results: []wasm.ValType{wasm.I32}}
	var idx uint32
	for _, imp := range m.Imports {
		if imp.Kind != wasm.KindFunc {
			continue
		}
		if imp.Module == wasm.WASIModule && imp.Name == "sched_yield" && imp.Type.Equal(&want) {
			return idx, true
		}
		idx++
	}
	return 0, false
}

// instrumentCountdown returns a copy of the module b (already read as m)
// with a new mutable i32 global $budget (initially budget) and, at the start
// of every function and the head of every loop, the stack-neutral sequence
//
//	global.get $budget; i32.const 1; i32.sub; global.set $budget
//	global.get $budget; i32.eqz
//	if; call $yield; drop; i32.const budget; global.set $budget; end
//
// where $yield is the module's own import of sched_yield (function index
// yield): every unbounded execution passes through a loop head or a call,
// so the guest comes back to the host at least every budget of them. The
// host's sched_yield is where the deadline and cancellation are checked,
// and being Go code it is also where the Go scheduler and garbage collector
// can preempt the goroutine. No import is added, so no function index
// changes; the global is appended after the module's own (the module must
// import none; CheckImports refuses imported globals).
func instrumentCountdown(b []byte, m *wasm.Module, yield uint32, budget int32) ([]byte, error) {
	if budget <= 0 {
		return nil, errors.New("budget must be positive")
	}
	return rewrite(b, m, budget, false, func(g uint32) []byte {
		get := append([]byte{0x23}, appendU32(nil, g)...) // global.get $budget
		set := append([]byte{0x24}, appendU32(nil, g)...) // global.set $budget
		var c []byte
		c = append(c, get...)
		c = append(c, 0x41, 0x01, 0x6b) // i32.const 1; i32.sub
		c = append(c, set...)
		c = append(c, get...)
		c = append(c, 0x45, 0x04, 0x40, 0x10) // i32.eqz; if; call
		c = appendU32(c, yield)
		c = append(c, 0x1a) // drop
		c = appendS32(append(c, 0x41), budget)
		c = append(c, set...)
		return append(c, 0x0b) // end
	})
}

// instrumentStopFlag returns a copy of the module b (already read as m)
// with a stop check — "global.get $stop; if; unreachable; end" — at the
// start of every function and at the head of every loop, a new mutable i32
// global $stop (initially 0), and an export of that global named
// stopExport. Setting the global to 1 from the host makes the guest trap at
// its next loop iteration or function call. Measured, not used: see
// enforceStopFlag.
func instrumentStopFlag(b []byte, m *wasm.Module) ([]byte, error) {
	if m.Export(stopExport) != nil {
		return nil, fmt.Errorf("export %q already exists", stopExport)
	}
	return rewrite(b, m, 0, true, func(g uint32) []byte {
		check := append([]byte{0x23}, appendU32(nil, g)...) // global.get $stop
		return append(check, 0x04, 0x40, 0x00, 0x0b)        // if; unreachable; end
	})
}

// rewrite adds a mutable i32 global (initially init, exported as stopExport
// when export is set) after the module's globals and inserts check(index of
// that global) at the start of every function body and after the block
// type of every loop.
func rewrite(b []byte, m *wasm.Module, init int32, export bool, check func(global uint32) []byte) ([]byte, error) {
	for _, imp := range m.Imports {
		if imp.Kind == wasm.KindGlobal {
			return nil, errors.New("imported globals are not supported")
		}
	}
	// globalCount is the module's number of globals, the index of the new
	// one; globalHead is the length of its encoding at the start of the
	// global section (LEB128 may be padded, so it is not re-encoded).
	var globalCount uint32
	globalHead := 0
	hasCode := false
	for _, s := range m.Sections {
		if s.Offset < 0 || s.Offset+int64(s.Size) > int64(len(b)) {
			return nil, errors.New("section out of bounds")
		}
		switch s.ID {
		case wasm.SectionGlobal:
			n, k, err := wasm.ReadU32(b[s.Offset : s.Offset+int64(s.Size)])
			if err != nil {
				return nil, fmt.Errorf("global section: %w", err)
			}
			if n == ^uint32(0) {
				return nil, errors.New("too many globals")
			}
			globalCount, globalHead = n, k
		case wasm.SectionCode:
			hasCode = true
		}
	}
	if len(b) < 8 {
		return nil, errors.New("truncated module")
	}
	probe := check(globalCount)

	newGlobal := appendS32([]byte{byte(wasm.I32), 0x01, 0x41}, init) // mut i32 = i32.const init
	newGlobal = append(newGlobal, 0x0b)
	out := append(make([]byte, 0, len(b)+len(b)/4), b[:8]...)
	wroteGlobal := false
	writeSection := func(id byte, contents []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(contents)))
		out = append(out, contents...)
	}
	for _, s := range m.Sections {
		contents := b[s.Offset : s.Offset+int64(s.Size)]
		if s.ID != wasm.SectionCustom && !wroteGlobal && wasm.SectionOrder(s.ID) > wasm.SectionOrder(wasm.SectionGlobal) {
			writeSection(wasm.SectionGlobal, append(appendU32(nil, 1), newGlobal...))
			wroteGlobal = true
		}
		switch s.ID {
		case wasm.SectionGlobal:
			c := appendU32(nil, globalCount+1)
			c = append(c, contents[globalHead:]...)
			writeSection(wasm.SectionGlobal, append(c, newGlobal...))
			wroteGlobal = true
		case wasm.SectionExport:
			if !export {
				writeSection(s.ID, contents)
				break
			}
			n, k, err := wasm.ReadU32(contents)
			if err != nil {
				return nil, fmt.Errorf("export section: %w", err)
			}
			c := appendU32(nil, n+1)
			c = append(c, contents[k:]...)
			c = appendU32(c, uint32(len(stopExport)))
			c = append(c, stopExport...)
			c = append(c, byte(wasm.KindGlobal))
			writeSection(wasm.SectionExport, appendU32(c, globalCount))
		case wasm.SectionCode:
			c, err := instrumentCode(contents, probe)
			if err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
			writeSection(wasm.SectionCode, c)
		default:
			writeSection(s.ID, contents)
		}
	}
	if !wroteGlobal || !hasCode {
		return nil, errors.New("module has no code or no export section")
	}
	return out, nil
}

// instrumentCode rewrites the code section contents, inserting check at the
// start of each body and after each loop's block type.
func instrumentCode(c, check []byte) ([]byte, error) {
	n, k, err := wasm.ReadU32(c)
	if err != nil {
		return nil, err
	}
	r := &codeReader{b: c, pos: k}
	out := appendU32(make([]byte, 0, len(c)+len(c)/8), n)
	var body []byte
	for i := range n {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		end := r.pos + int(size)
		if end > len(c) || end < r.pos {
			return nil, errors.New("function body out of bounds")
		}
		fr := &codeReader{b: c[:end], pos: r.pos}
		if err := fr.locals(); err != nil {
			return nil, err
		}
		body = append(body[:0], c[r.pos:fr.pos]...)
		body = append(body, check...)
		last := fr.pos
		for fr.pos < end {
			at, op := fr.pos, fr.b[fr.pos]
			// The common instructions inline, the others through instr.
			switch immediates[op] {
			case immNone:
				fr.pos++
				continue
			case immLEB:
				fr.pos++
				if fr.skipLEB() {
					continue
				}
			case immLEB2:
				fr.pos++
				if fr.skipLEB() {
					if fr.skipLEB() { // the second number
						continue
					}
				}
			}
			fr.pos = at
			if err := fr.instr(); err != nil {
				return nil, fmt.Errorf("function body %d at byte %d: %w", i, at, err)
			}
			if op == 0x03 { // loop: check at the head, after the block type
				body = append(body, c[last:fr.pos]...)
				body = append(body, check...)
				last = fr.pos
			}
		}
		body = append(body, c[last:end]...)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
		r.pos = end
	}
	if r.pos != len(c) {
		return nil, errors.New("trailing bytes after the last function body")
	}
	return out, nil
}

// Immediates of an opcode, for the fast path of instrumentCode; immSlow
// opcodes are decoded by codeReader.instr.
const (
	immSlow = iota
	immNone // no immediate
	immLEB  // one LEB128 number
	immLEB2 // two LEB128 numbers
)

var immediates = func() (t [256]uint8) {
	for _, op := range []byte{0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b, 0xd1} {
		t[op] = immNone
	}
	for op := 0x45; op <= 0xc4; op++ { // numeric instructions
		t[op] = immNone
	}
	// br, br_if, call, local.*, global.*, table.get/set, memory.size/grow,
	// i32.const, i64.const, ref.null, ref.func
	for _, op := range []byte{0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0x41, 0x42, 0xd0, 0xd2} {
		t[op] = immLEB
	}
	t[0x11] = immLEB2                  // call_indirect
	for op := 0x28; op <= 0x3e; op++ { // loads and stores
		t[op] = immLEB2
	}
	return t
}()

type codeReader struct {
	b   []byte
	pos int
}

var errTruncated = errors.New("truncated instruction")

func (r *codeReader) byte1() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errTruncated
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *codeReader) u32() (uint32, error) {
	v, k, err := wasm.ReadU32(r.b[r.pos:])
	r.pos += k
	return v, err
}

// leb skips one LEB128 number of at most 10 bytes.
func (r *codeReader) leb() error {
	for i := 0; i < 10; i++ {
		c, err := r.byte1()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("LEB128 number too long")
}

// skipLEB is leb for the fast path: it reports whether it skipped a number,
// leaving pos unspecified when not (the caller then decodes the instruction
// again from its start with instr, which reports the error).
func (r *codeReader) skipLEB() bool {
	for i := 0; i < 10 && r.pos < len(r.b); i++ {
		c := r.b[r.pos]
		r.pos++
		if c&0x80 == 0 {
			return true
		}
	}
	return false
}

func (r *codeReader) lebs(n int) error {
	for range n {
		if err := r.leb(); err != nil {
			return err
		}
	}
	return nil
}

func (r *codeReader) skip(n int) error {
	if r.pos+n > len(r.b) {
		return errTruncated
	}
	r.pos += n
	return nil
}

func (r *codeReader) locals() error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		if err := r.leb(); err != nil { // count
			return err
		}
		if err := r.valType(); err != nil {
			return err
		}
	}
	return nil
}

func (r *codeReader) valType() error {
	c, err := r.byte1()
	if err != nil {
		return err
	}
	if wasm.ValType(c).Valid() {
		return nil
	}
	return fmt.Errorf("unsupported value type 0x%02x", c)
}

func (r *codeReader) blockType() error {
	if r.pos >= len(r.b) {
		return errTruncated
	}
	if c := r.b[r.pos]; c == 0x40 || wasm.ValType(c).Valid() {
		r.pos++
		return nil
	}
	return r.leb() // s33 type index
}

// instr skips one instruction. It knows exactly the instruction set of the
// features the Runtime's wazero configuration enables (the MVP, mutable
// globals, sign extension, saturating conversions, bulk memory, reference
// types, multi-value and SIMD) and decodes each instruction's length as
// wazero's validator does, so the two cannot disagree on where a loop is;
// anything else (threads, tail calls, exception handling, or an encoding
// the validator reads differently) is refused rather than guessed.
func (r *codeReader) instr() error {
	op, err := r.byte1()
	if err != nil {
		return err
	}
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		return r.blockType()
	case op == 0x0c || op == 0x0d: // br, br_if
		return r.leb()
	case op == 0x0e: // br_table
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int(n) > len(r.b)-r.pos {
			return errTruncated
		}
		return r.lebs(int(n) + 1)
	case op == 0x10: // call
		return r.leb()
	case op == 0x11: // call_indirect
		return r.lebs(2)
	case op == 0x1c: // select t*
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int(n) > len(r.b)-r.pos {
			return errTruncated
		}
		for range n {
			if err := r.valType(); err != nil {
				return err
			}
		}
		return nil
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		return r.leb()
	case op >= 0x28 && op <= 0x3e: // loads and stores: memarg
		return r.lebs(2)
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		return r.leb()
	case op == 0x41 || op == 0x42: // i32.const, i64.const
		return r.leb()
	case op == 0x43:
		return r.skip(4)
	case op == 0x44:
		return r.skip(8)
	case op == 0xd0: // ref.null heaptype
		return r.leb()
	case op == 0xd2: // ref.func
		return r.leb()
	case op == 0xfc:
		return r.prefixFC()
	case op == 0xfd:
		return r.prefixFD()
	case op <= 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
		op >= 0x45 && op <= 0xc4, op == 0xd1:
		return nil
	}
	return fmt.Errorf("unsupported opcode 0x%02x", op)
}

func (r *codeReader) prefixFC() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8, sub == 12, sub == 14, sub == 10: // memory.init, table.init, table.copy, memory.copy
		return r.lebs(2)
	case sub == 9, sub == 11, sub == 13, sub == 15, sub == 16, sub == 17:
		return r.leb()
	}
	return fmt.Errorf("unsupported opcode 0xfc %d", sub)
}

// prefixFD skips a SIMD instruction. wazero's validator reads the
// sub-opcode as one byte, not as LEB128; in the canonical encoding of
// sub-opcodes 128-255 the second byte is 0x01, which it then reads as a
// nop. Only encodings on which both readings agree are accepted: one byte
// below 0x80, or a byte from 0x80 followed by 0x01.
func (r *codeReader) prefixFD() error {
	sub, err := r.byte1()
	if err != nil {
		return err
	}
	if sub >= 0x80 {
		next, err := r.byte1()
		if err != nil {
			return err
		}
		if next != 0x01 {
			return fmt.Errorf("unsupported encoding of opcode 0xfd 0x%02x 0x%02x", sub, next)
		}
		return nil // no SIMD instruction from 128 on has an immediate
	}
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads and stores
		return r.lebs(2)
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		return r.skip(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		return r.skip(1)
	case sub >= 84 && sub <= 91: // load/store lane
		if err := r.lebs(2); err != nil {
			return err
		}
		return r.skip(1)
	}
	return nil
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// appendS32 appends v as a signed LEB128 number (an i32.const immediate).
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
