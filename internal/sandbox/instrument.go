package sandbox

import (
	"errors"
	"fmt"

	"github.com/forgehq/forge/internal/wasm"
)

// stopExport is the name under which an instrumented module exports its stop
// flag. It is added after the module's exports were checked, so a guest
// cannot declare it, and the guest's own code cannot name the global: its
// index did not exist when the code was written.
const stopExport = "forge.sandbox.stop"

// Section ids of the WebAssembly binary format used by the rewriter.
const (
	secCustom = 0
	secGlobal = 6
	secExport = 7
	secCode   = 10
)

// sectionRank orders the non-custom sections as the binary format requires
// (the tag section of the exception-handling proposal sits between memory
// and global, the data count section between element and code).
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

// instrument returns a copy of the module b (already read as m) with a stop
// check — "global.get $stop; if; unreachable; end" — at the start of every
// function and at the head of every loop, a new mutable i32 global $stop
// (initially 0), and an export of that global named stopExport. Setting the
// global to 1 from the host makes the guest trap at its next loop iteration
// or function call: every unbounded execution passes through one of them.
// The module must have no imported globals (CheckImports refuses them).
func instrument(b []byte, m *wasm.Module) ([]byte, error) {
	for _, imp := range m.Imports {
		if imp.Kind == wasm.KindGlobal {
			return nil, errors.New("instrument: imported globals are not supported")
		}
	}
	if m.Export(stopExport) != nil {
		return nil, fmt.Errorf("instrument: export %q already exists", stopExport)
	}
	var globalCount uint32
	for _, s := range m.Sections {
		if s.ID == secGlobal {
			n, _, err := readU32(b[s.Offset : s.Offset+int64(s.Size)])
			if err != nil {
				return nil, fmt.Errorf("instrument: global section: %w", err)
			}
			globalCount = n
		}
	}
	check := append([]byte{0x23}, appendU32(nil, globalCount)...) // global.get $stop
	check = append(check, 0x04, 0x40, 0x00, 0x0b)                 // if; unreachable; end

	newGlobal := []byte{byte(wasm.I32), 0x01, 0x41, 0x00, 0x0b} // mut i32 = i32.const 0
	out := append([]byte(nil), b[:8]...)
	wroteGlobal := false
	writeSection := func(id byte, contents []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(contents)))
		out = append(out, contents...)
	}
	for _, s := range m.Sections {
		contents := b[s.Offset : s.Offset+int64(s.Size)]
		if s.ID != secCustom && !wroteGlobal && sectionRank[s.ID] > sectionRank[secGlobal] {
			writeSection(secGlobal, append(appendU32(nil, 1), newGlobal...))
			wroteGlobal = true
		}
		switch s.ID {
		case secGlobal:
			n, k, _ := readU32(contents)
			c := appendU32(nil, n+1)
			c = append(c, contents[k:]...)
			writeSection(secGlobal, append(c, newGlobal...))
			wroteGlobal = true
		case secExport:
			n, k, err := readU32(contents)
			if err != nil {
				return nil, fmt.Errorf("instrument: export section: %w", err)
			}
			c := appendU32(nil, n+1)
			c = append(c, contents[k:]...)
			c = appendU32(c, uint32(len(stopExport)))
			c = append(c, stopExport...)
			c = append(c, byte(wasm.KindGlobal))
			writeSection(secExport, appendU32(c, globalCount))
		case secCode:
			c, err := instrumentCode(contents, check)
			if err != nil {
				return nil, fmt.Errorf("instrument: code section: %w", err)
			}
			writeSection(secCode, c)
		default:
			writeSection(s.ID, contents)
		}
	}
	if !wroteGlobal {
		return nil, errors.New("instrument: module has no export section")
	}
	return out, nil
}

// instrumentCode rewrites the code section contents, inserting check at the
// start of each body and after each loop's block type.
func instrumentCode(c, check []byte) ([]byte, error) {
	n, k, err := readU32(c)
	if err != nil {
		return nil, err
	}
	r := &codeReader{b: c, pos: k}
	out := appendU32(make([]byte, 0, len(c)+len(c)/8), n)
	var body []byte
	for range n {
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
			op := fr.b[fr.pos]
			if err := fr.instr(); err != nil {
				return nil, fmt.Errorf("at offset %d: %w", fr.pos, err)
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
	v, k, err := readU32(r.b[r.pos:])
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
	switch c {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69:
		return nil
	}
	return fmt.Errorf("unsupported value type 0x%02x", c)
}

func (r *codeReader) blockType() error {
	if r.pos >= len(r.b) {
		return errTruncated
	}
	switch r.b[r.pos] {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69:
		r.pos++
		return nil
	}
	return r.leb() // s33 type index
}

// instr skips one instruction. It knows the MVP instruction set and the
// proposals wazero implements (sign extension, saturating conversions, bulk
// memory, reference types, multi-value, SIMD, threads, tail calls,
// exception handling); anything else is refused rather than guessed.
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
	case op == 0x10 || op == 0x12 || op == 0x08: // call, return_call, throw
		return r.leb()
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		return r.lebs(2)
	case op == 0x1f: // try_table
		if err := r.blockType(); err != nil {
			return err
		}
		n, err := r.u32()
		if err != nil {
			return err
		}
		for range n {
			kind, err := r.byte1()
			if err != nil {
				return err
			}
			switch kind {
			case 0, 1:
				err = r.lebs(2)
			case 2, 3:
				err = r.leb()
			default:
				err = fmt.Errorf("unknown catch kind %d", kind)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case op == 0x1c: // select t*
		n, err := r.u32()
		if err != nil {
			return err
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
	case op == 0xfe:
		return r.prefixFE()
	case op <= 0x01, op == 0x05, op == 0x0a, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
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

func (r *codeReader) prefixFD() error {
	sub, err := r.u32()
	if err != nil {
		return err
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
	case sub <= 0xff:
		return nil
	}
	return fmt.Errorf("unsupported opcode 0xfd %d", sub)
}

func (r *codeReader) prefixFE() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	if sub == 3 { // atomic.fence
		return r.skip(1)
	}
	if sub <= 0x4e {
		return r.lebs(2)
	}
	return fmt.Errorf("unsupported opcode 0xfe %d", sub)
}

func readU32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, i, errTruncated
		}
		c := b[i]
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 5, errors.New("LEB128 u32 too long")
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
