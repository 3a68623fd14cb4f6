//go:build wasip1

package sdk

import (
	"unsafe"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// The forge host module, ABI version 1 (docs/abi.md). Pointers are offsets
// into the module's linear memory; lengths are in bytes.

//go:wasmimport forge log
func forgeLog(level int32, ptr unsafe.Pointer, n int32)

//go:wasmimport forge input
func forgeInput() int32

//go:wasmimport forge output_write
func forgeOutputWrite(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge secret_get
func forgeSecretGet(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge config_get
func forgeConfigGet(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge state_get
func forgeStateGet(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge state_put
func forgeStatePut(kptr unsafe.Pointer, kn int32, vptr unsafe.Pointer, vn int32) int32

//go:wasmimport forge state_delete
func forgeStateDelete(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge state_list
func forgeStateList(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge http_send
func forgeHTTPSend(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge result_read
func forgeResultRead(ptr unsafe.Pointer, n int32) int32

//go:wasmimport forge clock_now
func forgeClockNow() int64

//go:wasmimport forge random_fill
func forgeRandomFill(ptr unsafe.Pointer, n int32) int32

// abiVersion is exported by the SDK itself, so every module linking the SDK
// declares the ABI version it was built for.
//
//go:wasmexport forge_abi_version
func abiVersion() int32 { return ABIVersion }

func ptr(b []byte) (unsafe.Pointer, int32) {
	return unsafe.Pointer(unsafe.SliceData(b)), int32(len(b))
}

// maxErrorMessage bounds the diagnostic a host may leave after an error.
const maxErrorMessage = 1 << 10

// result turns the return value of a data-producing host call into bytes,
// copying the result buffer with result_read.
func result(n int32) ([]byte, int32) {
	if n < 0 {
		msg := make([]byte, maxErrorMessage)
		p, l := ptr(msg)
		k := forgeResultRead(p, l)
		if k <= 0 {
			return nil, n
		}
		return msg[:k], n
	}
	buf := make([]byte, n)
	if n == 0 {
		return buf, 0
	}
	p, l := ptr(buf)
	if k := forgeResultRead(p, l); k != n {
		return nil, hostabi.CodeInternal
	}
	return buf, 0
}

type wasmHost struct{}

func (wasmHost) Log(level int32, msg []byte) { p, n := ptr(msg); forgeLog(level, p, n) }
func (wasmHost) Input() ([]byte, int32)      { return result(forgeInput()) }
func (wasmHost) OutputWrite(b []byte) int32  { p, n := ptr(b); return forgeOutputWrite(p, n) }
func (wasmHost) SecretGet(name []byte) ([]byte, int32) {
	p, n := ptr(name)
	return result(forgeSecretGet(p, n))
}

func (wasmHost) ConfigGet(key []byte) ([]byte, int32) {
	p, n := ptr(key)
	return result(forgeConfigGet(p, n))
}

func (wasmHost) StateGet(key []byte) ([]byte, int32) {
	p, n := ptr(key)
	return result(forgeStateGet(p, n))
}

func (wasmHost) StatePut(key, val []byte) int32 {
	kp, kn := ptr(key)
	vp, vn := ptr(val)
	return forgeStatePut(kp, kn, vp, vn)
}

func (wasmHost) StateDelete(key []byte) int32 { p, n := ptr(key); return forgeStateDelete(p, n) }

func (wasmHost) StateList(prefix []byte) ([]byte, int32) {
	p, n := ptr(prefix)
	return result(forgeStateList(p, n))
}

func (wasmHost) HTTPSend(req []byte) ([]byte, int32) {
	p, n := ptr(req)
	return result(forgeHTTPSend(p, n))
}

func (wasmHost) ClockNow() int64           { return forgeClockNow() }
func (wasmHost) RandomFill(b []byte) int32 { p, n := ptr(b); return forgeRandomFill(p, n) }

// host returns the bound test host, if any, or the real forge host.
func host() hostabi.Host {
	if h := hostabi.Current(); h != nil {
		return h
	}
	return wasmHost{}
}
