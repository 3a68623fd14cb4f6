package sandbox

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// linearMemory backs one instance's linear memory and enforces its memory
// limit: growing past it fails (memory.grow returns -1) and is recorded, so
// that an invocation that then fails is reported as over its memory limit.
type linearMemory struct {
	limit  uint64
	buf    []byte
	denied atomic.Bool
}

func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.denied.Store(true)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		// wazero only grows memories; the bytes past len are still zero.
		m.buf = m.buf[:size]
		return m.buf
	}
	c := max(size, min(2*uint64(cap(m.buf)), m.limit))
	nb := make([]byte, size, c)
	copy(nb, m.buf)
	m.buf = nb
	return m.buf
}

func (m *linearMemory) Free() { m.buf = nil }

// allocator hands out one linearMemory and remembers it.
type allocator struct {
	limit uint64
	mem   *linearMemory
}

func (a *allocator) Allocate(_, _ uint64) experimental.LinearMemory {
	a.mem = &linearMemory{limit: a.limit}
	return a.mem
}
